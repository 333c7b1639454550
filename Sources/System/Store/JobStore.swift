/// The store: every statement the system runs against its database, each operation one
/// transaction. Two implementations keep this contract: `EmbeddedStore` (in memory, the
/// simulation's and the embedded default) and `PostgresStore` (libpq); one contract test suite
/// runs against both (`Tests/StoreContractTests`).
///
/// This is what a database *client* sees, and only that. Notifications (`StoreNotifications`),
/// the change feed (`StoreChangeFeed`), whether the trigger is installed (`PendingTrigger`) and
/// the in-memory store's inspection helpers (`StoreInspection`) are separate interfaces: the
/// sentinel and the handlers never see them.
///
/// Semantics both must honour:
/// - Every operation can fail, reads included (`StoreError.connectionLost` on a broken socket
///   must never read as "no such row"), and is atomic: it commits whole or, on a thrown error,
///   changes nothing.
/// - The store owns its clock. Operations take intervals (an online window, a claim timeout),
///   never instants computed on the caller's clock; the store compares them with its own
///   `now()` (PostgreSQL's transaction time; the embedded store's injected clock). Clock skew
///   between a client and the database then behaves as in production.
/// - Concurrent operations behave as if run one after another in some order (the PostgreSQL
///   adapter gets there with row locks taken in id order; the embedded store by running each
///   operation at one instant). Races between *operations* (read a snapshot, then write) are
///   real in both and are what the defects exercise.
/// - `pending_chunk` is notified, with the chunk id as payload, for every chunk row inserted or
///   updated with `status = 'pending' AND node_id IS NULL` (the seeds' trigger), unless the
///   trigger is not installed; notifications become visible only after commit, in commit order.
/// - Iteration order never depends on hashing: ties are broken by id or creation order.
/// - The decisions inside `completeChunk` and the guarded `applyAssignments` are the pure
///   functions of `CompletionRule` and `AssignmentGuard`: both stores call them on the rows
///   they read, so the rules exist once.
public protocol JobStore {
    // MARK: Portal
    /// Inserts the config if its hash is new, else touches `last_used_at`. Returns whether it
    /// inserted. `checkThenInsert` is the second statement of today's racy upsert (its lookup
    /// is the caller's earlier `config(_:)` read, a separate statement): a plain INSERT that
    /// fails with `.uniqueViolation` if the hash exists, i.e. another client inserted it since.
    mutating func upsertConfig(_ config: NewConfig, checkThenInsert: Bool) throws(StoreError) -> Bool
    /// Creates a job and its chunks (the last takes the remainder; chunk i's seed offset is the
    /// sum of the iterations before it). With `upserting`, upserts the config in the same
    /// transaction (the merged RPC); without, the config must exist.
    mutating func createJob(_ job: NewJob, upserting config: NewConfig?) throws(StoreError) -> JobCreated
    func job(_ id: JobID) throws(StoreError) -> JobRow?
    /// A user's jobs, newest first.
    func jobs(ofUser user: UserID) throws(StoreError) -> [JobRow]
    /// A job's chunks by index.
    func chunks(ofJob job: JobID) throws(StoreError) -> [ChunkRow]
    func chunk(_ id: ChunkID) throws(StoreError) -> ChunkRow?
    /// `chunk(_:)` as a completion reported by the caller (as `nodeCaller` found it) reads it:
    /// a store with handles looks for the chunk among the claims the caller holds first (the
    /// list `prepareForClaims` asked for), then by id. The same row as `chunk(_:)` for any
    /// caller, another node's or a stale one included. A default serves stores without handles.
    func chunk(_ id: ChunkID, reportedBy caller: NodeCaller) throws(StoreError) -> ChunkRow?
    func config(_ hash: ConfigHash) throws(StoreError) -> ConfigRow?
    func rotation(_ id: String) throws(StoreError) -> RotationRow?
    /// Inserts the rotation (`created_at = now()`), or replaces its JSON keeping `created_at`.
    mutating func upsertRotation(id: String, canonicalJSON: String) throws(StoreError)
    mutating func upsertUser(_ user: UserRow) throws(StoreError)
    func user(_ id: UserID) throws(StoreError) -> UserRow?

    // MARK: Nodes
    /// Registers a key, or returns the existing node for it (idempotent).
    mutating func registerNode(_ registration: NodeRegistration) throws(StoreError) -> NodeRegistered
    /// A user claims the unclaimed node with this code; when several unclaimed nodes show it,
    /// the earliest registered (`created_at`, then id), so that a colliding key registered
    /// later (a 30-bit code can be ground) cannot lock the owner out.
    mutating func claimNode(claimCode: String, by user: UserID) throws(StoreError) -> NodeRow
    func node(_ id: NodeID) throws(StoreError) -> NodeRow?
    func node(publicKey: PublicKey) throws(StoreError) -> NodeRow?
    /// Sets `status = 'online'`, `last_seen_at = now()`; claimed nodes only.
    mutating func heartbeat(_ node: NodeID) throws(StoreError) -> NodeRow
    /// The node with this key as a node request's caller: its id and, for a store that keeps
    /// nodes by a dense handle, that handle, so the request's next statement on the node needs
    /// no second lookup and no whole row is copied. A default (from `node(publicKey:)`) serves
    /// stores without handles.
    func nodeCaller(publicKey: PublicKey) throws(StoreError) -> NodeCaller?
    /// `heartbeat(caller.id)`, answering only what the heartbeat's response needs (the caller
    /// as `nodeCaller` found it; a stale handle is looked up again by id). A default (from
    /// `heartbeat(_:)`) serves stores without handles.
    mutating func heartbeat(_ caller: NodeCaller) throws(StoreError) -> NodeHeartbeat
    /// `renewClaims(caller.id, chunks:)` for a caller as `nodeCaller` found it (a store with
    /// handles uses the caller's, checked, instead of looking the node up again). A default
    /// serves stores without handles.
    mutating func renewClaims(_ caller: NodeCaller, chunks: [ChunkID]) throws(StoreError) -> Int
    /// `claim_renewed_at = now()` for the named chunks running on `node` (the heartbeat's list
    /// of what it computes); returns how many.
    mutating func renewClaims(_ node: NodeID, chunks: [ChunkID]) throws(StoreError) -> Int
    mutating func grantPermission(node: NodeID, type: PermissionType, target: String?) throws(StoreError) -> PermissionRow
    func permissions(of node: NodeID) throws(StoreError) -> [PermissionRow]
    /// Records a completion (see `CompletionRule` and `CompletionOutcome`). On acceptance the
    /// chunk is completed, the job's progress counted once, the job turns running on its first
    /// completion and completed with its aggregated result on its last, in one transaction.
    /// Throws `.illegalTransition` rather than complete a job whose results do not aggregate.
    mutating func completeChunk(_ completion: Completion, rules: CompletionRules) throws(StoreError) -> CompletionOutcome
    /// `completeChunk(_:rules:)` reported by the caller as `nodeCaller` found it (its id is
    /// `completion.nodeID`): a store with handles uses the caller's, checked, instead of looking
    /// the node up again; a caller with another id is ignored (the node looked up by id), never
    /// a trap. A default serves stores without handles.
    mutating func completeChunk(_ completion: Completion, by caller: NodeCaller, rules: CompletionRules) throws(StoreError) -> CompletionOutcome
    /// A hint, given as soon as a node request's caller is known, that the request will read or
    /// change the claims the node holds (a completion, a heartbeat naming its chunks): a store
    /// may start loading them, so that the wait overlaps reading the request's body. It changes
    /// no answer and no row; the default does nothing.
    mutating func prepareForClaims(of caller: NodeCaller)
    /// Remembers a request signature until `expiresAt` (an instant derived from the signed
    /// timestamp, not from a clock); false if it was already remembered (a replay). Entries
    /// past their expiry on the store's clock are forgotten. Bounded in entries: when full, the
    /// store may forget the earliest-expiring entries early, and then answers false for every
    /// signature expiring no later than them (never accepting a replay).
    mutating func rememberSignature(_ signature: Signature, expiresAt: Timestamp) throws(StoreError) -> Bool
    /// A hint, given as soon as a signed node request's headers are parsed: the key its caller
    /// will be looked up by and, when it will be remembered, its signature. A store may start
    /// loading (or computing) what `nodeCaller`/`node(publicKey:)` and `rememberSignature` will
    /// need, so that the wait overlaps the signature's verification. It changes no answer and
    /// no row; the default does nothing.
    mutating func prepareToAuthenticate(publicKey: PublicKey, signature: Signature?)

    // MARK: Sentinel
    /// What one scheduling pass reads, as one consistent snapshot: at most `limit` pending
    /// unassigned chunks oldest first; of the nodes with `last_seen_at > now() - onlineWindow`,
    /// how many there are and those with a free slot (`capacity > running`), with their backlogs
    /// and permissions; the chunks' jobs.
    func assignmentSnapshot(limit: Int, onlineWindow: Interval) throws(StoreError) -> AssignmentSnapshot
    /// Applies a pass's plan in order. Guarded (the fix, `AssignmentGuard`): a chunk is
    /// assigned only if it is still pending and unassigned, the node is below capacity and,
    /// with `onlineWindow`, the node was seen within it on the store's clock (it may have fallen
    /// silent since the snapshot), so two sentinels can never give a chunk to two nodes nor to
    /// a node gone offline. Unguarded (today's batch update): every row of the plan is written.
    mutating func applyAssignments(
        _ plan: [PlannedAssignment], guarded: Bool, onlineWindow: Interval?
    ) throws(StoreError) -> [ChunkAssignment]
    /// Today's sentinel reclaim: running chunks of nodes with `last_seen_at < now() - silence`
    /// back to pending. Returns them by id.
    mutating func reclaimChunksOfSilentNodes(silence: Interval) throws(StoreError) -> [ChunkID]
    /// Running chunks in creation order: for gauges and invariants.
    func runningChunks() throws(StoreError) -> [ChunkRow]
    /// The chunks running on `node`, in creation order: what its assignment channel lists
    /// when the node (re)subscribes (`AssignmentChannelMessage.subscribed`).
    func runningChunks(ofNode node: NodeID) throws(StoreError) -> [ChunkRow]
    func pendingChunkCount() throws(StoreError) -> Int
    /// How many chunks are running: `runningChunks().count` without building the rows (the
    /// sentinel's gauges ask on every pass).
    func runningChunkCount() throws(StoreError) -> Int

    // MARK: Cron (pg_cron functions)
    /// `reap_stale_chunks()`: running chunks with `claimed_at < now() - claimTimeout` back to
    /// pending, oldest claim first (ties by chunk id), except (with `renewalWindow`) those their
    /// holder renewed within that window and claimed less than `liveClaimLimit` ago. Returns them.
    mutating func reapStaleChunks(
        claimTimeout: Interval, renewalWindow: Interval?, liveClaimLimit: Interval
    ) throws(StoreError) -> [ChunkID]
    /// `mark_nodes_offline()`: online nodes with `last_seen_at < now() - silence` set offline.
    mutating func markNodesOffline(silence: Interval) throws(StoreError) -> Int
    /// `cleanup_stale_data()`.
    mutating func cleanupStaleData(_ ages: CleanupAges) throws(StoreError) -> CleanupCounts
}

extension JobStore {
    public mutating func prepareToAuthenticate(publicKey: PublicKey, signature: Signature?) {}

    public func nodeCaller(publicKey: PublicKey) throws(StoreError) -> NodeCaller? {
        try node(publicKey: publicKey).map { NodeCaller(id: $0.id) }
    }

    public mutating func heartbeat(_ caller: NodeCaller) throws(StoreError) -> NodeHeartbeat {
        NodeHeartbeat(try heartbeat(caller.id))
    }

    public mutating func renewClaims(_ caller: NodeCaller, chunks: [ChunkID]) throws(StoreError) -> Int {
        try renewClaims(caller.id, chunks: chunks)
    }

    public mutating func completeChunk(
        _ completion: Completion, by caller: NodeCaller, rules: CompletionRules
    ) throws(StoreError) -> CompletionOutcome {
        try completeChunk(completion, rules: rules)
    }

    public mutating func prepareForClaims(of caller: NodeCaller) {}

    public func chunk(_ id: ChunkID, reportedBy caller: NodeCaller) throws(StoreError) -> ChunkRow? {
        try chunk(id)
    }

    /// `reapStaleChunks` with today's rule: every claim older than `claimTimeout`.
    public mutating func reapStaleChunks(claimTimeout: Interval) throws(StoreError) -> [ChunkID] {
        try reapStaleChunks(claimTimeout: claimTimeout, renewalWindow: nil, liveClaimLimit: claimTimeout)
    }

    /// Filters `runningChunks()`; a store with an index on `node_id` answers directly.
    public func runningChunks(ofNode node: NodeID) throws(StoreError) -> [ChunkRow] {
        try runningChunks().filter { $0.nodeID == node }
    }

    /// Counts `runningChunks()`; a store that keeps counts by status answers directly.
    public func runningChunkCount() throws(StoreError) -> Int {
        try runningChunks().count
    }

    /// `applyAssignments` without the online re-check.
    public mutating func applyAssignments(_ plan: [PlannedAssignment], guarded: Bool) throws(StoreError) -> [ChunkAssignment] {
        try applyAssignments(plan, guarded: guarded, onlineWindow: nil)
    }
}

/// Committed `NOTIFY`s, as a listening session receives them. The embedded store queues them
/// at commit; PostgreSQL delivers them to a LISTENing connection (`PostgresListener`).
public protocol StoreNotifications {
    /// Committed notifications not yet taken, in commit order.
    mutating func takeNotifications() throws(StoreError) -> [StoreNotification]
}

/// The change feed the harness's observer reads (logical decoding, Supabase realtime).
public protocol StoreChangeFeed {
    /// Committed status changes not yet taken, in commit order.
    mutating func takeChanges() -> [RowChange]
}

/// Whether `trg_pending_chunk` is installed (false is today's `missing-trigger` defect).
public protocol PendingTrigger {
    func pendingTriggerInstalled() throws(StoreError) -> Bool
}
