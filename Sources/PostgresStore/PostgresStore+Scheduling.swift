import JobSystem

/// The sentinel's operations.
extension PostgresStore {
    /// REPEATABLE READ READ ONLY: the queue (the partial index on `pending_seq`), the count of
    /// nodes seen within the window and those of them with a free slot with their backlogs, their
    /// `user` grants, and the chunks' jobs, all from one snapshot, `now()` included.
    public func assignmentSnapshot(limit: Int, onlineWindow: Interval) throws(StoreError) -> AssignmentSnapshot {
        try db.transaction(.repeatableRead, readOnly: true) { (db: PGConnection) throws(StoreError) -> AssignmentSnapshot in
            let queue = try db.run("""
                SELECT id, job_id, pending_seq, last_node_id FROM jobs_chunks
                WHERE status = 'pending' AND node_id IS NULL ORDER BY pending_seq LIMIT $1
                """, [String(max(0, limit) + 1)]).all
            var chunks: [AssignmentSnapshot.Chunk] = []
            for r in queue.prefix(max(0, limit)) {
                chunks.append(AssignmentSnapshot.Chunk(
                    id: try r.id(0), jobID: try r.id(1), pendingSeq: try r.int64(2), lastNodeID: try r.optionalID(3)))
            }
            var jobs: [AssignmentSnapshot.Job] = []
            if !chunks.isEmpty {
                for r in try db.run("""
                    SELECT id, user_id, access_type, discord_server_id FROM jobs WHERE id = ANY($1::uuid[]) ORDER BY id
                    """, [PGParam.uuids(chunks.map(\.jobID))]).all {
                    jobs.append(AssignmentSnapshot.Job(
                        id: try r.id(0), userID: try r.id(1), accessType: try r.status(2), discordServerID: r.optionalString(3)))
                }
            }
            let window = PGParam.micros(onlineWindow)
            // The backlogs as one grouped scan of the running chunks, joined, rather than a count
            // per node: with statistics taken while few chunks ran, PostgreSQL ran that count
            // through the (claimed_at, id) index, scanning every running chunk once per node
            // (10,000 nodes, 2,700 running: 12 s, past the call timeout; the scheduler then
            // stalled, measured by scripts/bench-api).
            // Every online node is counted; only those the planner can use come back as rows
            // (`AssignmentSnapshot.nodes`: with a free slot, and when every job is public only
            // the best `nodesWanted` by free slots, then id; LIMIT NULL is no limit). The count
            // is one row joined to the listed nodes, so it arrives even when none is listed
            // (then the row's node columns are NULL).
            let wanted = AssignmentSnapshot.nodesWanted(chunks: chunks.count, jobs: jobs)
            let nodeRows = try db.run("""
                WITH online AS (
                    SELECT n.id, n.user_id, u.discord_id, greatest(0, least(n.max_parallel, n.total_cores)) AS capacity,
                        coalesce(r.running, 0) AS running, n.last_seen_at
                    FROM nodes n LEFT JOIN users u ON u.id = n.user_id
                    LEFT JOIN (SELECT node_id, count(*) AS running FROM jobs_chunks WHERE status = 'running' GROUP BY node_id) r
                        ON r.node_id = n.id
                    WHERE n.last_seen_at > now() - $1::bigint * interval '1 microsecond'
                )
                , listed AS (
                    SELECT * FROM online WHERE capacity > running ORDER BY capacity - running DESC, id LIMIT $2::bigint
                )
                SELECT c.online, o.id, o.user_id, o.discord_id, o.capacity, o.running,
                    (SELECT s.id FROM online s ORDER BY s.last_seen_at, s.id LIMIT 1)
                FROM (SELECT count(*) AS online FROM online) c LEFT JOIN listed o ON true
                ORDER BY o.id
                """, [window, wanted == Int.max ? nil : String(wanted)]).all
            let onlineNodes = nodeRows.isEmpty ? 0 : try nodeRows[0].int(0)  // always one row: the count
            let stalest: NodeID? = nodeRows.isEmpty ? nil : try nodeRows[0].optionalID(6)
            var freeIDs: [NodeID] = []
            for r in nodeRows where !r.isNull(1) { freeIDs.append(try r.id(1)) }
            var permitted: [NodeID: [UserID]] = [:]
            if !freeIDs.isEmpty {
                let grants = try db.run("""
                    SELECT node_id, target_id FROM nodes_permissions WHERE access_type = 'user' AND node_id = ANY($1::uuid[])
                    """, [PGParam.uuids(freeIDs)]).all
                for g in grants {
                    if let target = g.optionalString(1), let user = UserID(uuidString: target) {
                        permitted[try g.id(0), default: []].append(user)
                    }
                }
            }
            var nodes: [AssignmentSnapshot.Node] = []
            nodes.reserveCapacity(freeIDs.count)
            for r in nodeRows where !r.isNull(1) {
                let id: NodeID = try r.id(1)
                nodes.append(AssignmentSnapshot.Node(
                    id: id, userID: try r.optionalID(2), ownerDiscordID: r.optionalString(3), capacity: try r.int(4),
                    running: try r.int(5), permittedUsers: Array(Set(permitted[id] ?? [])).sorted()))
            }
            return AssignmentSnapshot(
                chunks: chunks, nodes: nodes, jobs: jobs, morePending: queue.count > max(0, limit), onlineNodes: onlineNodes,
                stalestOnlineNode: stalest)
        }
    }

    /// Guarded (the fix): one READ COMMITTED transaction that locks the plan's chunks, then its
    /// nodes (`FOR UPDATE`, each by id: two sentinels applying at once serialise on the first
    /// common row and never deadlock), counts the nodes' backlogs after the locks are granted,
    /// runs `AssignmentGuard.admits` row by row in plan order, and writes the admitted rows with
    /// one UPDATE. Unguarded: today's batch update, `assign_chunks_unguarded()` in SQL.
    public mutating func applyAssignments(
        _ plan: [PlannedAssignment], guarded: Bool, onlineWindow: Interval?
    ) throws(StoreError) -> [ChunkAssignment] {
        guard !plan.isEmpty else { return [] }
        if !guarded { return try applyUnguarded(plan) }
        return try db.transaction(.readCommitted) { (db: PGConnection) throws(StoreError) -> [ChunkAssignment] in
            struct Chunk { var row: ChunkRow }
            var chunks: [ChunkID: ChunkRow] = [:]
            for r in try db.run("""
                SELECT \(Self.chunkColumns) FROM jobs_chunks WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE
                """, [PGParam.uuids(plan.map(\.chunkID))]).all {
                let row = try Self.chunk(r)
                chunks[row.id] = row
            }
            struct Node { var capacity: Int; var lastSeen: Timestamp?; var running: Int }
            var nodes: [NodeID: Node] = [:]
            let nodeIDs = PGParam.uuids(plan.map(\.nodeID))
            var now = Timestamp(micros: 0)
            for r in try db.run("""
                SELECT id, greatest(0, least(max_parallel, total_cores)), epoch_us(last_seen_at), epoch_us(now())
                FROM nodes WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE
                """, [nodeIDs]).all {
                nodes[try r.id(0)] = Node(capacity: try r.int(1), lastSeen: try r.optionalTimestamp(2), running: 0)
                now = try r.timestamp(3)
            }
            for p in plan {
                guard chunks[p.chunkID] != nil else { throw .chunkNotFound(p.chunkID) }
                guard nodes[p.nodeID] != nil else { throw .nodeNotFound }
            }
            for r in try db.run("""
                SELECT node_id, count(*) FROM jobs_chunks WHERE status = 'running' AND node_id = ANY($1::uuid[]) GROUP BY node_id
                """, [nodeIDs]).all {
                nodes[try r.id(0)]?.running = try r.int(1)
            }
            let onlineSince = onlineWindow.map { now - $0 }
            var admitted: [PlannedAssignment] = []
            for p in plan {
                let chunk = chunks[p.chunkID]!, node = nodes[p.nodeID]!
                guard AssignmentGuard.admits(
                    chunkStatus: chunk.status, chunkNode: chunk.nodeID, nodeRunning: node.running,
                    nodeCapacity: node.capacity, nodeLastSeen: node.lastSeen, onlineSince: onlineSince)
                else { continue }
                admitted.append(p)
                chunks[p.chunkID]!.status = .running
                chunks[p.chunkID]!.nodeID = p.nodeID
                nodes[p.nodeID]!.running += 1
            }
            guard !admitted.isEmpty else { return [] }
            var written: [ChunkID: (attempt: Int, claimedAt: Timestamp)] = [:]
            for r in try db.run("""
                UPDATE jobs_chunks c
                SET status = 'running', node_id = v.node, claimed_at = now(), attempt = c.attempt + 1, last_node_id = v.node
                FROM unnest($1::uuid[], $2::uuid[]) AS v(chunk, node)
                WHERE c.id = v.chunk AND c.status = 'pending' AND c.node_id IS NULL
                RETURNING c.id, c.attempt, epoch_us(c.claimed_at)
                """, [PGParam.uuids(admitted.map(\.chunkID)), PGParam.uuids(admitted.map(\.nodeID))]).all {
                written[try r.id(0)] = (try r.int(1), try r.timestamp(2))
            }
            guard written.count == admitted.count else {
                throw .database(sqlState: "XX000", message: "guarded apply wrote \(written.count) of \(admitted.count) locked rows")
            }
            return admitted.map { p in
                let row = chunks[p.chunkID]!, w = written[p.chunkID]!
                return ChunkAssignment(
                    chunkID: p.chunkID, jobID: row.jobID, nodeID: p.nodeID, attempt: w.attempt, configHash: row.configHash,
                    iterations: row.iterations, seedOffset: row.seedOffset, claimedAt: w.claimedAt)
            }
        }
    }

    /// Today's batch update (`assign_chunks_unguarded`), one statement, with the payload read in
    /// the same transaction.
    private mutating func applyUnguarded(_ plan: [PlannedAssignment]) throws(StoreError) -> [ChunkAssignment] {
        try db.transaction(.readCommitted) { (db: PGConnection) throws(StoreError) -> [ChunkAssignment] in
            let rows = try db.run(
                "SELECT chunk_id, attempt, claimed_us FROM assign_chunks_unguarded($1::uuid[], $2::uuid[])",
                [PGParam.uuids(plan.map(\.chunkID)), PGParam.uuids(plan.map(\.nodeID))]).all
            var payload: [ChunkID: ChunkRow] = [:]
            for r in try db.run("SELECT \(Self.chunkColumns) FROM jobs_chunks WHERE id = ANY($1::uuid[])",
                                [PGParam.uuids(plan.map(\.chunkID))]).all {
                let row = try Self.chunk(r)
                payload[row.id] = row
            }
            var made: [ChunkAssignment] = []
            for (p, r) in zip(plan, rows) {
                let row = payload[p.chunkID]!
                made.append(ChunkAssignment(
                    chunkID: p.chunkID, jobID: row.jobID, nodeID: p.nodeID, attempt: try r.int(1), configHash: row.configHash,
                    iterations: row.iterations, seedOffset: row.seedOffset, claimedAt: try r.timestamp(2)))
            }
            return made
        }
    }

    public mutating func reclaimChunksOfSilentNodes(silence: Interval) throws(StoreError) -> [ChunkID] {
        try db.execute(
            "SELECT reclaim_chunks_of_silent_nodes($1::bigint * interval '1 microsecond')", [PGParam.micros(silence)]
        ).all.map { (r: PGRow) throws(StoreError) -> ChunkID in try r.id(0) }
    }

    /// Running chunks in creation order (job creation, then chunk index).
    public func runningChunks() throws(StoreError) -> [ChunkRow] {
        try db.execute("""
            SELECT \(Self.chunkColumns) FROM jobs_chunks WHERE status = 'running'
            ORDER BY (SELECT seq FROM jobs j WHERE j.id = job_id), chunk_index
            """).all.map(Self.chunk)
    }

    /// The node's running chunks (its assignment channel's held list), by the node_id index.
    public func runningChunks(ofNode node: NodeID) throws(StoreError) -> [ChunkRow] {
        try db.execute("""
            SELECT \(Self.chunkColumns) FROM jobs_chunks WHERE status = 'running' AND node_id = $1
            ORDER BY (SELECT seq FROM jobs j WHERE j.id = job_id), chunk_index
            """, [node.uuidString]).all.map(Self.chunk)
    }

    public func pendingChunkCount() throws(StoreError) -> Int {
        try db.execute("SELECT count(*) FROM jobs_chunks WHERE status = 'pending'").first!.int(0)
    }
}
