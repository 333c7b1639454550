/// The store: every statement the system runs against its database, each operation one
/// transaction. Two implementations keep this contract: `EmbeddedStore` (in memory, the
/// simulation's and the embedded default) and the PostgreSQL adapter through libpq; one
/// contract test suite runs against both.
///
/// Semantics both must honour:
/// - Every operation is atomic: it commits whole or, on a thrown error, changes nothing.
/// - Concurrent operations behave as if run one after another in some order (the PostgreSQL
///   adapter gets there with row locks taken in id order; the embedded store by running each
///   operation at one instant). Races between *operations* (read a snapshot, then write) are
///   real in both and are what the defects exercise.
/// - `pending_chunk` is notified, with the chunk id as payload, for every chunk row inserted or
///   updated with `status = 'pending' AND node_id IS NULL` (the seeds' trigger), unless the
///   trigger is not installed; notifications become visible only after commit, in commit order.
/// - Iteration order never depends on hashing: ties are broken by id or creation order.
public protocol JobStore {
    // MARK: Portal
    /// Inserts the config if its hash is new, else touches `last_used_at`. Returns whether it
    /// inserted. `checkThenInsert` is today's racy upsert: a lookup, then a plain INSERT that
    /// fails with `.uniqueViolation` if another client inserted in between.
    mutating func upsertConfig(_ config: NewConfig, checkThenInsert: Bool, now: Timestamp) throws(StoreError) -> Bool
    /// Creates a job and its chunks (the last takes the remainder; chunk i's seed offset is the
    /// sum of the iterations before it). With `upserting`, upserts the config in the same
    /// transaction (the merged RPC); without, the config must exist.
    mutating func createJob(_ job: NewJob, upserting config: NewConfig?, now: Timestamp) throws(StoreError) -> JobCreated
    func job(_ id: JobID) -> JobRow?
    /// A user's jobs, newest first.
    func jobs(ofUser user: UserID) -> [JobRow]
    /// A job's chunks by index.
    func chunks(ofJob job: JobID) -> [ChunkRow]
    func chunk(_ id: ChunkID) -> ChunkRow?
    func config(_ hash: ConfigHash) -> ConfigRow?
    func rotation(_ id: String) -> RotationRow?
    mutating func upsertRotation(_ rotation: RotationRow) throws(StoreError)
    mutating func upsertUser(_ user: UserRow) throws(StoreError)
    func user(_ id: UserID) -> UserRow?

    // MARK: Nodes
    /// Registers a key, or returns the existing node for it (idempotent).
    mutating func registerNode(_ registration: NodeRegistration, now: Timestamp) throws(StoreError) -> NodeRegistered
    /// A user claims the unclaimed node with this code.
    mutating func claimNode(claimCode: String, by user: UserID, now: Timestamp) throws(StoreError) -> NodeRow
    func node(_ id: NodeID) -> NodeRow?
    func node(publicKey: PublicKey) -> NodeRow?
    /// Sets `status = 'online'`, `last_seen_at = now`; claimed nodes only.
    mutating func heartbeat(_ node: NodeID, now: Timestamp) throws(StoreError) -> NodeRow
    /// `claim_renewed_at = now` for the named chunks running on `node` (the heartbeat's list of
    /// what it computes); returns how many.
    mutating func renewClaims(_ node: NodeID, chunks: [ChunkID], now: Timestamp) throws(StoreError) -> Int
    mutating func grantPermission(node: NodeID, type: PermissionType, target: String?, now: Timestamp) throws(StoreError) -> PermissionRow
    func permissions(of node: NodeID) -> [PermissionRow]
    /// Records a completion (see `CompletionRules` and `CompletionOutcome`). On acceptance the
    /// chunk is completed, the job's progress counted once, the job turns running on its first
    /// completion and completed with its aggregated result on its last, in one transaction.
    mutating func completeChunk(_ completion: Completion, rules: CompletionRules, now: Timestamp) throws(StoreError) -> CompletionOutcome
    /// Remembers a request signature until `expiresAt`; false if it was already remembered
    /// (a replay). Entries past their expiry are forgotten.
    mutating func rememberSignature(_ signature: Signature, expiresAt: Timestamp, now: Timestamp) throws(StoreError) -> Bool

    // MARK: Sentinel
    /// What one scheduling pass reads: at most `limit` pending unassigned chunks oldest first,
    /// nodes with `last_seen_at > onlineSince`, their backlogs and permissions, the chunks' jobs.
    func assignmentSnapshot(limit: Int, onlineSince: Timestamp) -> AssignmentSnapshot
    /// Applies a pass's plan in order. Guarded (the fix): a chunk is assigned only if it is still
    /// pending and unassigned, the node is below capacity and, with `onlineSince`, the node was
    /// seen after it (it may have fallen silent since the snapshot), so two sentinels can never
    /// give a chunk to two nodes nor to a node gone offline. Unguarded (today's batch update):
    /// every row of the plan is written.
    mutating func applyAssignments(
        _ plan: [PlannedAssignment], guarded: Bool, onlineSince: Timestamp?, now: Timestamp
    ) throws(StoreError) -> [ChunkAssignment]
    /// Today's sentinel reclaim: running chunks of nodes with `last_seen_at < silentSince` back
    /// to pending. Returns them by id.
    mutating func reclaimChunksOfSilentNodes(silentSince: Timestamp, now: Timestamp) throws(StoreError) -> [ChunkID]
    /// Running chunks, with a count per node: for gauges and invariants.
    func runningChunks() -> [ChunkRow]
    func pendingChunkCount() -> Int

    // MARK: Cron (pg_cron functions)
    /// `reap_stale_chunks()`: running chunks claimed before `claimedBefore` back to pending,
    /// oldest claim first, except (with `renewedSince`) those their holder renewed after it and
    /// claimed at or after `liveClaimedBefore`. Returns them.
    mutating func reapStaleChunks(
        claimedBefore: Timestamp, renewedSince: Timestamp?, liveClaimedBefore: Timestamp, now: Timestamp
    ) throws(StoreError) -> [ChunkID]
    /// `mark_nodes_offline()`: online nodes last seen before `lastSeenBefore` set offline.
    mutating func markNodesOffline(lastSeenBefore: Timestamp, now: Timestamp) throws(StoreError) -> Int
    /// `cleanup_stale_data()`.
    mutating func cleanupStaleData(
        unclaimedBefore: Timestamp, offlineBefore: Timestamp, unusedConfigBefore: Timestamp, now: Timestamp
    ) throws(StoreError) -> CleanupCounts

    // MARK: Notifications
    /// Whether `trg_pending_chunk` is installed.
    var triggerInstalled: Bool { get }
    /// Committed notifications not yet taken, in commit order.
    mutating func takeNotifications() -> [StoreNotification]
}

extension JobStore {
    /// `reapStaleChunks` with today's rule: every claim older than `claimedBefore`.
    public mutating func reapStaleChunks(claimedBefore: Timestamp, now: Timestamp) throws(StoreError) -> [ChunkID] {
        try reapStaleChunks(claimedBefore: claimedBefore, renewedSince: nil, liveClaimedBefore: claimedBefore, now: now)
    }

    /// `applyAssignments` without the online re-check.
    public mutating func applyAssignments(
        _ plan: [PlannedAssignment], guarded: Bool, now: Timestamp
    ) throws(StoreError) -> [ChunkAssignment] {
        try applyAssignments(plan, guarded: guarded, onlineSince: nil, now: now)
    }
}
