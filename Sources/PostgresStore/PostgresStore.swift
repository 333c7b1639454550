import JobSystem

/// `JobStore` on PostgreSQL through libpq: the production store, and the second store of the
/// contract suite. Every operation is one statement or one transaction on its connection; the
/// database owns `now()`, identifiers (`gen_random_uuid()`) and the `pending_chunk` trigger.
///
/// Isolation, per operation, and why:
/// - Single-statement reads and writes (lookups, `jobs(ofUser:)`, `chunks(ofJob:)`, heartbeat,
///   the config upsert `INSERT … ON CONFLICT`, registration, grants, the cron functions, today's
///   batch update and reclaim) run in autocommit READ COMMITTED: one statement is atomic and
///   sees one snapshot; `ON CONFLICT` makes the upserts race-free without retries.
/// - `assignmentSnapshot`: REPEATABLE READ READ ONLY, so its four reads (queue, nodes with
///   backlogs, permissions, jobs) are one consistent snapshot; read-only, it never conflicts.
/// - `applyAssignments` (guarded), `completeChunk`, `claimNode`, `createJob`,
///   `rememberSignature`: READ COMMITTED with explicit row locks (`SELECT … FOR UPDATE`),
///   taken in one order (chunks, then nodes or the job, each by id). After a lock wait READ
///   COMMITTED re-reads the latest committed row, so the pure rules (`AssignmentGuard`,
///   `CompletionRule`) decide on current rows and two racing clients come out in one of the
///   serial orders. SERIALIZABLE would get there too but turns every such race into a
///   retried serialization failure; the locks make the loser wait and decide once.
/// - Today's racy config upsert is deliberately two autocommit statements (the handler's
///   lookup, then the plain INSERT here), so a concurrent insert between them fails with
///   `.uniqueViolation`.
public struct PostgresStore: JobStore, PendingTrigger {
    public let connection: PGConnection
    /// `rememberSignature` calls on this session (it purges expired entries now and then).
    var signatureCalls = 0

    /// Connects (a URL or `key=value` string; empty: the `PG*` environment variables).
    public init(conninfo: String) throws(StoreError) {
        connection = try PGConnection(conninfo)
    }

    public init(connection: PGConnection) {
        self.connection = connection
    }

    var db: PGConnection { connection }

    public func pendingTriggerInstalled() throws(StoreError) -> Bool {
        try db.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'trg_pending_chunk' AND NOT tgisinternal)"
        ).first!.bool(0)
    }

    // MARK: Columns, as every read selects them

    static let jobColumns = """
        id, user_id, config_hash, status, total_iterations, completed_iterations, result::text, access_type,
        discord_server_id, chunk_count, epoch_us(created_at), epoch_us(completed_at)
        """
    static let chunkColumns = """
        id, job_id, chunk_index, node_id, config_hash, iterations, seed_offset, status, result::text,
        epoch_us(claimed_at), epoch_us(completed_at), epoch_us(created_at), attempt, last_node_id,
        coalesce(pending_seq, 0), completed_by, completed_attempt
        """
    static let nodeColumns = """
        id, public_key, user_id, name, status, total_cores, max_parallel, platform, version, claim_code,
        epoch_us(last_seen_at), epoch_us(created_at)
        """

    static func job(_ r: PGRow) throws(StoreError) -> JobRow {
        JobRow(
            id: try r.id(0), userID: try r.id(1), configHash: try r.configHash(2), status: try r.status(3),
            totalIterations: try r.int(4), completedIterations: try r.int(5),
            result: try r.optionalString(6).map { (text: String) throws(StoreError) in try simulationResult(text) },
            accessType: try r.status(7), discordServerID: r.optionalString(8), chunkCount: try r.int(9),
            createdAt: try r.timestamp(10), completedAt: try r.optionalTimestamp(11))
    }

    static func chunk(_ r: PGRow) throws(StoreError) -> ChunkRow {
        ChunkRow(
            id: try r.id(0), jobID: try r.id(1), index: try r.int(2), nodeID: try r.optionalID(3),
            configHash: try r.configHash(4), iterations: try r.int(5), seedOffset: try r.int64(6),
            status: try r.status(7),
            result: try r.optionalString(8).map { (text: String) throws(StoreError) in try chunkResult(text) },
            claimedAt: try r.optionalTimestamp(9), completedAt: try r.optionalTimestamp(10),
            createdAt: try r.timestamp(11), attempt: try r.int(12), lastNodeID: try r.optionalID(13),
            pendingSeq: try r.int64(14))
    }

    /// Who completed the chunk, from `chunk(_:)`'s last two columns.
    static func mark(_ r: PGRow) throws(StoreError) -> CompletionMark? {
        guard let node: NodeID = try r.optionalID(15) else { return nil }
        return CompletionMark(nodeID: node, attempt: try r.optionalInt(16) ?? 0)
    }

    static func node(_ r: PGRow) throws(StoreError) -> NodeRow {
        guard let key = PublicKey(base64: try r.string(1)) else { throw PGRow.bad(1, r.optionalString(1), "public key") }
        return NodeRow(
            id: try r.id(0), publicKey: key, userID: try r.optionalID(2), name: try r.string(3), status: try r.status(4),
            totalCores: try r.int(5), maxParallel: try r.int(6), platform: try r.string(7), version: try r.string(8),
            claimCode: try r.string(9), lastSeenAt: try r.optionalTimestamp(10), createdAt: try r.timestamp(11))
    }

    static func chunkResult(_ text: String) throws(StoreError) -> ChunkResult {
        do { return try ChunkResult(json: try JSONValue.parse(text)) } catch {
            throw .database(sqlState: "XX000", message: "stored chunk result does not decode: \(error)")
        }
    }

    static func simulationResult(_ text: String) throws(StoreError) -> SimulationResult {
        do { return try SimulationResult(json: try JSONValue.parse(text)) } catch {
            throw .database(sqlState: "XX000", message: "stored job result does not decode: \(error)")
        }
    }
}
