/// The in-memory `JobStore`: the simulation's store and the embedded default.
///
/// Layout, chosen for a fleet of 10,000 nodes and 100,000 chunks over a simulated day:
/// - Rows live in arrays and are addressed by dense integer handles (their position); an
///   `id → handle` index (`HandleIndex`, 4 bytes a slot, no SipHash) serves lookups. Dictionaries are never iterated: everything the
///   store returns comes from an ordered array or is sorted by id first.
/// - Jobs and chunks are never deleted (the seeds' cleanup touches nodes and configs only), so
///   their handles are their creation order. Deleted nodes leave an empty slot.
/// - Derived state is maintained incrementally and checked by `checkConsistency()`: each node's
///   running chunks, each job's count of unfinished chunks, counts by status, the pending queue.
///
/// Every operation is atomic: it validates everything first and only then mutates, so a thrown
/// error leaves the store exactly as it was. Each operation runs at one instant, which is how
/// the embedded store meets the contract's "as if one after another"; the races the defects
/// exercise lie *between* operations (a snapshot, then an apply; an upsert, then a create).
///
/// Identifiers come from the store's own SplitMix64 stream, so the same seed and the same
/// sequence of operations name every row the same way.
///
/// The store owns its clock, as PostgreSQL owns `now()`: `now` is the embedded server's
/// clock, which its owner sets before each statement (the simulated world sets it to the store
/// server's own skewed, drifting local time; a test sets it directly). Callers pass intervals,
/// so a client whose clock is skewed sees the same effects it would against PostgreSQL.
public struct EmbeddedStore: JobStore, StoreNotifications, StoreChangeFeed, PendingTrigger, Sendable {
    /// Whether `trg_pending_chunk` exists (false models the `missingTrigger` defect).
    public let triggerInstalled: Bool
    /// The store's clock: what `now()` reads in its statements.
    public var now: Timestamp

    var rng: SplitMix64

    // MARK: Jobs (creation order; never deleted)
    var jobs: [JobRow] = []
    var jobIndex = HandleIndex()
    /// Per job, its chunks' handles by chunk index (a job's chunks are inserted together, so
    /// their handles are consecutive).
    var jobChunks: [Range<Int>] = []
    /// Per job, `chunk_iterations`: with the chunk's index it gives its iterations and seed
    /// offset (see `ChunkSlot`).
    var jobChunkIterations: [Int] = []
    /// Per job, the id stream's state before its first chunk's id was drawn: chunk ids are
    /// recomputed from it, not stored (see `ChunkSlot`, `chunkID(_:)`).
    var jobChunkIDStreams: [UInt64] = []
    /// Per job, how many of its chunks are not completed.
    var jobUnfinished: [Int] = []
    /// Per job, accepted completions that did not count progress (`countProgress` off), so the
    /// consistency check knows when `completed_iterations` must equal the completed chunks.
    var jobUncountedCompletions: [Int] = []
    /// Per user, their jobs' handles in creation order.
    var jobsByUser: [UserID: [Int]] = [:]

    // MARK: Chunks (creation order; never deleted)
    var chunkSlots = PagedArray<ChunkSlot>()
    /// Per chunk, its `result`: apart from the slots, which the hot paths walk.
    var chunkResults = ChunkResults()
    var chunkIndex = HandleIndex()
    /// `pending_seq` source: strictly increasing, so appending to `pendingQueue` keeps it sorted.
    var nextPendingSeq: Int64 = 1
    /// Pending chunks in `pending_seq` order, with lazy deletion (see `PendingEntry`).
    var pendingQueue: [PendingEntry] = []
    var pendingHead = 0
    /// Running claims by `claimed_at`, with lazy deletion (see `ClaimEntry`): the reaper's order.
    var claims = MinHeap<ClaimEntry>()

    // MARK: Configs, rotations, users
    var configs: [ConfigHash: ConfigRow] = [:]
    /// Config hashes in insertion order, for deterministic deletion.
    var configOrder: [ConfigHash] = []
    /// Jobs referencing each config (jobs are never deleted, so this only grows).
    var jobsPerConfig: [ConfigHash: Int] = [:]
    var rotations: [String: RotationRow] = [:]
    var users: [UserID: UserRow] = [:]

    // MARK: Nodes (slots; a deleted node leaves nil; pages that never move, see `PagedArray`)
    /// The node rows, except `last_seen_at`: it lives only in the node's dense entry
    /// (`nodeDense[handle].seenMicros`), which is all a heartbeat writes, so a heartbeat never
    /// touches the row (a 184-byte row over three cache lines, cold at 10,000 nodes). Every
    /// stored row keeps `lastSeenAt` nil (`checkConsistency()` checks it); whole rows are read
    /// through `nodeRow(_:)`, which fills it in.
    var nodes = PagedArray<NodeRow?>()
    var nodeIndex = HandleIndex()
    /// Handles by public key (`NodeKeyIndex`: keyed from the seed, see `nodeKeyIndexKey`).
    var nodeByKey: NodeKeyIndex
    /// Live node handles sorted by node id: the snapshot's node order. Kept in two sorted
    /// parts so that a registration is not an O(N) insert into the whole order (O(N²) for a
    /// fleet booting): new handles go into the small `recentNodeOrder`, merged into
    /// `sortedNodeOrder` once it holds `recentNodeOrderLimit`; `nodeOrder` reads both, merged.
    var sortedNodeOrder: [Int] = []
    var recentNodeOrder: [Int] = []
    static let recentNodeOrderLimit = 256

    /// Live node handles sorted by node id (both parts merged; no copy while `recentNodeOrder`
    /// is empty, as it is once a fleet has booted). Setting it replaces both parts.
    var nodeOrder: [Int] {
        get {
            guard !recentNodeOrder.isEmpty else { return sortedNodeOrder }
            return mergedNodeOrder()
        }
        set {
            sortedNodeOrder = newValue
            recentNodeOrder.removeAll()
        }
    }
    /// Node handles per claim code, ascending (claimed and unclaimed alike).
    var nodesByCode: [String: [Int]] = [:]
    /// Per node, the chunks running on it with their claims' renewals: its backlog is the count.
    var nodeRunning: [[RunningClaim]] = []
    var nodePermissions: [[PermissionRow]] = []
    /// Per node, the users named by its `user` permissions, sorted and unique.
    var nodePermittedUsers: [[UserID]] = []
    /// Per node, what the sentinel's snapshot reads of it, kept beside the rows (which are
    /// large and scattered: reading them for 10,000 nodes on every wake was cache misses).
    var nodeDense = PagedArray<DenseNode>()
    /// The seen nodes by `last_seen_at`, and those with a free slot by (most free, lowest id):
    /// the snapshot counts and lists from these instead of walking every node (see
    /// `EmbeddedStore+SnapshotIndexes.swift`).
    var sightings = SightingOrder()
    var freeSlots = FreeSlotIndex()

    // MARK: Replay cache (see `EmbeddedStore+Signatures.swift`)
    var replayCache: ReplayCache

    // MARK: Counts by status (indexed by `allCases` position)
    @usableFromInline var jobStatusCounts = [0, 0, 0]
    var chunkStatusCounts = [0, 0, 0]
    var nodeStatusCounts = [0, 0, 0]

    @usableFromInline var notifications: [StoreNotification] = []
    /// The change feed (see `takeChanges()`), and the chunk status change being written.
    var changes: [RowChange] = []
    var stagedChunkChange: StagedChunkChange? = nil

    /// - Parameters:
    ///   - seed: seeds the identifier stream.
    ///   - triggerInstalled: false models a database without `trg_pending_chunk`.
    ///   - now: the clock's initial reading.
    public init(seed: UInt64, triggerInstalled: Bool = true, now: Timestamp = Timestamp(micros: 0)) {
        self.rng = SplitMix64(seed: seed)
        self.replayCache = ReplayCache(capacity: EmbeddedStore.defaultReplayCacheCapacity, key: EmbeddedStore.replayCacheKey(seed: seed))
        self.nodeByKey = NodeKeyIndex(key: EmbeddedStore.nodeKeyIndexKey(seed: seed))
        self.triggerInstalled = triggerInstalled
        self.now = now
    }

    public func pendingTriggerInstalled() -> Bool { triggerInstalled }

    // MARK: Notifications

    /// Whether `takeNotifications()` would answer any: inlined into the caller, so that the
    /// API server's transaction (`World.publishCommitted`, nearly always with none) asks with
    /// one load instead of two calls and a release of the empty array.
    @inlinable public var hasNotifications: Bool { !notifications.isEmpty }

    /// Committed notifications not yet taken, in commit order (the order operations ran and,
    /// within one, the order rows were written).
    /// Allocation-free when there is none (as `takeChanges()`).
    public mutating func takeNotifications() -> [StoreNotification] {
        guard !notifications.isEmpty else { return [] }
        let taken = notifications
        notifications = []
        return taken
    }

    /// The trigger's body, run for every chunk row written: notifies when the row is left
    /// `pending` with `node_id` NULL, and only if the trigger is installed.
    mutating func chunkRowWritten(_ handle: Int) {
        logChunkWrite(handle)
        let slot = chunkSlots[handle]
        guard triggerInstalled, slot.status == .pending, slot.node < 0 else { return }
        notifications.append(StoreNotification(channel: "pending_chunk", payload: chunkID(handle).uuidString))
    }

    // MARK: Identifiers

    mutating func freshID() -> Identifier { Identifier.random(using: &rng) }

    /// The handle of a job, a chunk or a live node by id (see `HandleIndex`).
    @inline(__always) func jobHandle(_ id: JobID) -> Int? { jobIndex.find(id.raw) { jobs[$0].id.raw } }
    @inline(__always) func chunkHandle(_ id: ChunkID) -> Int? { chunkIndex.find(id.raw) { chunkID($0).raw } }
    /// Deleted nodes are removed from the index; `nodeDense` keeps every handle's id.
    @inline(__always) func nodeHandle(_ id: NodeID) -> Int? { nodeIndex.find(id.raw) { nodeDense[$0].id.raw } }

    // MARK: Status changes

    /// Throws unless `from → to` is a legal chunk transition (staying put is no transition).
    static func checkChunk(_ from: ChunkStatus, _ to: ChunkStatus, _ id: ChunkID) throws(StoreError) {
        guard from == to || from.canBecome(to) else {
            throw .illegalTransition("chunk \(id) \(from.rawValue) → \(to.rawValue)")
        }
    }

    static func checkJob(_ from: JobStatus, _ to: JobStatus, _ id: JobID) throws(StoreError) {
        guard from == to || from.canBecome(to) else {
            throw .illegalTransition("job \(id) \(from.rawValue) → \(to.rawValue)")
        }
    }

    static func checkNode(_ from: NodeStatus, _ to: NodeStatus, _ id: NodeID) throws(StoreError) {
        guard from == to || from.canBecome(to) else {
            throw .illegalTransition("node \(id) \(from.rawValue) → \(to.rawValue)")
        }
    }

    /// Sets a chunk's status, keeping the counts; the caller validated the transition.
    /// `unchecked`: the one write outside the status machine, today's unguarded batch update
    /// of a completed chunk (PostgreSQL has no transition check).
    mutating func setChunkStatus(_ handle: Int, _ status: ChunkStatus, unchecked: Bool = false) {
        let old = chunkSlots[handle].status
        precondition(unchecked || old == status || old.canBecome(status), "unvalidated chunk transition")
        stageChunkChange(handle, from: old)
        chunkStatusCounts[old.ordinal] -= 1
        chunkStatusCounts[status.ordinal] += 1
        chunkSlots[handle].status = status
    }

    mutating func setJobStatus(_ handle: Int, _ status: JobStatus) {
        let old = jobs[handle].status
        precondition(old == status || old.canBecome(status), "unvalidated job transition")
        if old != status { changes.append(.job(JobChange(id: jobs[handle].id, from: old, to: status, at: jobs[handle].createdAt))) }
        jobStatusCounts[old.ordinal] -= 1
        jobStatusCounts[status.ordinal] += 1
        jobs[handle].status = status
    }

    /// Sets a live node's status in its row and its dense entry; reads the dense one (a
    /// heartbeat of an online node changes nothing and touches no row).
    mutating func setNodeStatus(_ handle: Int, _ status: NodeStatus) {
        let old = nodeDense[handle].status!
        guard old != status else { return }  // no change (a heartbeat of an online node)
        precondition(old.canBecome(status), "unvalidated node transition")
        changes.append(.node(NodeChange(id: nodeDense[handle].id, from: old, to: status, at: nodes[handle]!.createdAt)))
        nodeStatusCounts[old.ordinal] -= 1
        nodeStatusCounts[status.ordinal] += 1
        nodes[handle]!.status = status
        nodeDense[handle].status = status
    }

    /// The node's public row at `handle` (nil if deleted): the stored row with `last_seen_at`
    /// from the dense entry (see `nodes`).
    func nodeRow(_ handle: Int) -> NodeRow? {
        guard var row = nodes[handle] else { return nil }
        row.lastSeenAt = nodeLastSeen(handle)
        return row
    }

    /// `last_seen_at` of the node at `handle` (nil: never seen, or deleted).
    @inline(__always) func nodeLastSeen(_ handle: Int) -> Timestamp? {
        let seen = nodeDense[handle].seenMicros
        return seen == .min ? nil : Timestamp(micros: seen)
    }
}

// A status's position in `allCases` (the counts' index), as a switch: searching `allCases`
// built the array on every status change. `StoreMemoryTests` checks them against `allCases`.
extension JobStatus {
    @inlinable var ordinal: Int {
        switch self {
        case .pending: 0
        case .running: 1
        case .completed: 2
        }
    }
}

extension ChunkStatus {
    var ordinal: Int {
        switch self {
        case .pending: 0
        case .running: 1
        case .completed: 2
        }
    }
}

extension NodeStatus {
    var ordinal: Int {
        switch self {
        case .pending: 0
        case .online: 1
        case .offline: 2
        }
    }
}

/// One entry of the pending queue. It is live iff the chunk is still pending with this very
/// `pending_seq` (every time a chunk becomes pending it takes a fresh, larger sequence number and
/// a new entry is appended, so the queue stays sorted and older entries of the chunk go stale).
struct PendingEntry: Sendable {
    var seq: Int64
    var chunk: Int
}

/// One chunk running on a node, in the node's running list: the chunk's handle, its job's
/// handle and `claim_renewed_at` of its current claim (micros; `notRenewed` until the holder's
/// heartbeat names the chunk). The entry lives exactly as long as the claim (`assign` makes it,
/// `leaveRunning` removes it), so a renewal never outlives the claim it was made under. (It was
/// a dictionary by handle, hashed on every heartbeat, then a field of every chunk's slot.)
///
/// The job is kept so that a heartbeat finds the chunks it names in this list by their ids,
/// recomputed from the job's id stream (`EmbeddedStore.chunkID(ofClaim:)`), without probing
/// the chunk index or reading the chunks' slots (two cache misses a chunk at 100,000 chunks).
/// 16 bytes, as with a 64-bit handle alone.
struct RunningClaim: Sendable, Equatable {
    private var chunk32: Int32
    var job: Int32
    var renewedAtMicros: Int64

    init(chunk: Int, job: Int32, renewedAtMicros: Int64) {
        chunk32 = Int32(chunk)  // traps past Int32, as `ClaimEntry` does: never a silent wrap
        self.job = job
        self.renewedAtMicros = renewedAtMicros
    }

    /// The chunk's handle.
    var chunk: Int {
        @inline(__always) get { Int(chunk32) }
        set { chunk32 = Int32(newValue) }
    }

    static let notRenewed = Int64.min

    var renewedAt: Timestamp? { renewedAtMicros == Self.notRenewed ? nil : Timestamp(micros: renewedAtMicros) }
}

/// One claim in the reaper's heap: live iff the chunk is still running under this attempt.
/// Ordered by `claimed_at`, ties by chunk handle, then attempt: the heap only has to surface
/// every claim older than the cutoff; `reapStaleChunks` sorts the ones it reaps by
/// `(claimed_at, chunk id)`, as `reap_stale_chunks()` orders them in SQL. 16 bytes (it held the
/// 16-byte chunk id for the tie-break, and 64-bit handles: 40).
struct ClaimEntry: Comparable, Sendable {
    var claimedAtMicros: Int64
    var chunk: Int32
    var attempt: Int32

    var claimedAt: Timestamp { Timestamp(micros: claimedAtMicros) }

    static func < (a: ClaimEntry, b: ClaimEntry) -> Bool {
        (a.claimedAtMicros, a.chunk, a.attempt) < (b.claimedAtMicros, b.chunk, b.attempt)
    }
}

/// What the sentinel's snapshot and a heartbeat read of one node: `last_seen_at` (in micros,
/// `Int64.min` for never or deleted; the row does not keep it, see `EmbeddedStore.nodes`), id,
/// owner, status (nil: deleted), name and `max_parallel` (the heartbeat's answer), the
/// owner's Discord id, capacity and running count. Written wherever the row or its running
/// list changes; `checkConsistency()` compares it with the rows.
///
/// A heartbeat reads and writes only the first 72 bytes (sighting, id, owner, status,
/// position, `max_parallel`, name), so it touches this entry and not the node's row: at
/// 10,000 nodes each line a heartbeat touches is a cache miss.
struct DenseNode: Sendable, Equatable {
    var seenMicros: Int64
    var id: NodeID
    var userID: UserID?
    /// The row's status; nil once the node is deleted (in the optional's padding, as is the
    /// position: the entry is no larger for them).
    var status: NodeStatus?
    /// The position of the node's live entry in `sightings` (-1: none). Here, in the entry a
    /// heartbeat writes anyway, rather than in an array of the sighting order's own: a
    /// heartbeat then touches one cache line less and checks one array's uniqueness less.
    var sightingPosition: Int32 = -1
    var maxParallel: Int
    var name: String
    var ownerDiscordID: String?
    var capacity: Int
    /// The running count, 32-bit (as the chunk handles are) so that `firstClaim` fits in the
    /// word it had alone: the entry stays 104 bytes.
    private var running32: Int32
    /// The chunk handle of the node's oldest claim (its running list's first; -1: none), kept
    /// with the count (`setNodeRunning`). A hint only: `prepareForClaims` asks for that chunk's
    /// slot and result from this entry, already in cache, where the chunk a completion names
    /// is known only after its body is read. Nothing else reads it.
    private(set) var firstClaim: Int32 = -1

    /// How many chunks run on the node (its running list's count).
    var running: Int {
        @inline(__always) get { Int(running32) }
        set { running32 = Int32(newValue) }
    }

    init(
        seenMicros: Int64, id: NodeID, userID: UserID?, status: NodeStatus?, maxParallel: Int, name: String,
        ownerDiscordID: String?, capacity: Int, running: Int
    ) {
        self.seenMicros = seenMicros
        self.id = id
        self.userID = userID
        self.status = status
        self.maxParallel = maxParallel
        self.name = name
        self.ownerDiscordID = ownerDiscordID
        self.capacity = capacity
        self.running32 = Int32(running)
    }

    /// Sets the running count and the oldest claim's chunk (nil: none).
    mutating func setRunning(_ count: Int, first: Int?) {
        running32 = Int32(count)
        firstClaim = first.map { Int32($0) } ?? -1
    }
}

