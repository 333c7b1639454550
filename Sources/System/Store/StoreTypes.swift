/// Inputs and outputs of the store's operations.

/// A config to upsert: its canonical JSON and the hash of it.
public struct NewConfig: Sendable, Equatable {
    public var hash: ConfigHash
    public var canonicalJSON: String
    public var rotationID: String?
    public init(hash: ConfigHash, canonicalJSON: String, rotationID: String?) {
        self.hash = hash
        self.canonicalJSON = canonicalJSON
        self.rotationID = rotationID
    }
}

public struct NewJob: Sendable, Equatable {
    public var userID: UserID
    public var configHash: ConfigHash
    public var totalIterations: Int
    public var chunkIterations: Int
    public var accessType: AccessType
    public var discordServerID: String?
    public init(
        userID: UserID, configHash: ConfigHash, totalIterations: Int, chunkIterations: Int,
        accessType: AccessType, discordServerID: String?
    ) {
        self.userID = userID
        self.configHash = configHash
        self.totalIterations = totalIterations
        self.chunkIterations = chunkIterations
        self.accessType = accessType
        self.discordServerID = discordServerID
    }
}

public struct JobCreated: Sendable, Equatable {
    public var jobID: JobID
    public var chunks: Int
    /// Whether the config row was inserted by this call (false: it existed).
    public var configInserted: Bool
    public init(jobID: JobID, chunks: Int, configInserted: Bool) {
        self.jobID = jobID
        self.chunks = chunks
        self.configInserted = configInserted
    }
}

public struct NodeRegistration: Sendable, Equatable {
    public var publicKey: PublicKey
    public var claimCode: String
    public var name: String
    public var totalCores: Int
    public var maxParallel: Int
    public var platform: String
    public var version: String
    public init(
        publicKey: PublicKey, claimCode: String, name: String, totalCores: Int, maxParallel: Int,
        platform: String, version: String
    ) {
        self.publicKey = publicKey
        self.claimCode = claimCode
        self.name = name
        self.totalCores = totalCores
        self.maxParallel = maxParallel
        self.platform = platform
        self.version = version
    }
}

public struct NodeRegistered: Sendable, Equatable {
    public var node: NodeRow
    /// False when the key was registered already (re-registration is idempotent).
    public var created: Bool
    public init(node: NodeRow, created: Bool) {
        self.node = node
        self.created = created
    }
}

/// A node request's caller, as `JobStore.nodeCaller(publicKey:)` found it.
public struct NodeCaller: Sendable, Equatable {
    public var id: NodeID
    /// Where the store keeps the node (the embedded store's dense handle), or -1 for a store
    /// without handles. Meaningful only to the store that gave it, and only as a hint: the
    /// store checks it still holds `id` before using it.
    public var handle: Int
    public init(id: NodeID, handle: Int = -1) {
        self.id = id
        self.handle = handle
    }
}

/// What a heartbeat answers of the node's row after it (`JobStore.heartbeat(_: NodeCaller)`):
/// the fields of the heartbeat's response, without the rest of the row.
public struct NodeHeartbeat: Sendable, Equatable {
    public var id: NodeID
    public var name: String
    public var maxParallel: Int
    public var status: NodeStatus
    public init(id: NodeID, name: String, maxParallel: Int, status: NodeStatus) {
        self.id = id
        self.name = name
        self.maxParallel = maxParallel
        self.status = status
    }
    public init(_ row: NodeRow) {
        self.init(id: row.id, name: row.name, maxParallel: row.maxParallel, status: row.status)
    }
}

/// A chunk result as a node reports it.
public struct Completion: Sendable, Equatable {
    public var nodeID: NodeID
    public var chunkID: ChunkID
    /// The claim (`attempt`) the node was given; nil from today's nodes, which send none.
    public var attempt: Int?
    public var result: ChunkResult
    public init(nodeID: NodeID, chunkID: ChunkID, attempt: Int?, result: ChunkResult) {
        self.nodeID = nodeID
        self.chunkID = chunkID
        self.attempt = attempt
        self.result = result
    }
}

/// How chunk-complete behaves; set from the profile's defects.
public struct CompletionRules: Sendable, Equatable {
    /// Write `jobs.result` with the last completion (off: today's bug 1).
    public var aggregateResult = true
    /// Increment `completed_iterations` (off: today's bug 2).
    public var countProgress = true
    /// Require the reporting node to hold the chunk's latest claim (attempt included, late
    /// results of an unreassigned claim accepted). Off: today's guard, the chunk must be running
    /// on the reporting node (`CompletionRule.decide`).
    public var requireClaim = true
    public init(aggregateResult: Bool = true, countProgress: Bool = true, requireClaim: Bool = true) {
        self.aggregateResult = aggregateResult
        self.countProgress = countProgress
        self.requireClaim = requireClaim
    }
}

public enum CompletionOutcome: Sendable, Equatable {
    /// The result was stored; `jobCompleted` when it was the job's last chunk.
    case accepted(jobID: JobID, jobCompleted: Bool)
    /// The same node re-sent the result it already delivered (a retry or a duplicated message):
    /// answered as a success, counted nothing.
    case duplicate(jobID: JobID)
    /// The chunk was completed by another claim; nothing changed.
    case alreadyCompleted(jobID: JobID)
    /// The node does not hold the chunk's latest claim (it was reaped and reassigned); nothing
    /// changed.
    case staleClaim(jobID: JobID)
    /// Today's guard: the chunk is not running on the reporting node; nothing changed (403).
    case notHeld(jobID: JobID)
}

/// What the scheduler reads for one pass.
public struct AssignmentSnapshot: Sendable, Equatable {
    public struct Chunk: Sendable, Equatable {
        public var id: ChunkID
        public var jobID: JobID
        public var pendingSeq: Int64
        /// `last_node_id`: the node of the chunk's previous claim, if it was reaped. The planner
        /// avoids it while another node has room: a node that let a claim time out (hung,
        /// cut off) would otherwise get the same chunk back, since it has the most free slots.
        public var lastNodeID: NodeID?
        public init(id: ChunkID, jobID: JobID, pendingSeq: Int64, lastNodeID: NodeID? = nil) {
            self.id = id
            self.jobID = jobID
            self.pendingSeq = pendingSeq
            self.lastNodeID = lastNodeID
        }
    }
    public struct Node: Sendable, Equatable {
        public var id: NodeID
        public var userID: UserID?
        /// The owner's Discord id, for `discord` jobs.
        public var ownerDiscordID: String?
        public var capacity: Int
        /// Chunks running on it now (its backlog).
        public var running: Int
        /// Users named by its `user` permissions, sorted.
        public var permittedUsers: [UserID]
        public init(id: NodeID, userID: UserID?, ownerDiscordID: String?, capacity: Int, running: Int, permittedUsers: [UserID]) {
            self.id = id
            self.userID = userID
            self.ownerDiscordID = ownerDiscordID
            self.capacity = capacity
            self.running = running
            self.permittedUsers = permittedUsers
        }
    }
    public struct Job: Sendable, Equatable {
        public var id: JobID
        public var userID: UserID
        public var accessType: AccessType
        public var discordServerID: String?
        public init(id: JobID, userID: UserID, accessType: AccessType, discordServerID: String?) {
            self.id = id
            self.userID = userID
            self.accessType = accessType
            self.discordServerID = discordServerID
        }
    }
    /// Pending, unassigned chunks, oldest first (by `pending_seq`), at most the batch size.
    public var chunks: [Chunk]
    /// The online nodes (by the given window) a plan can use, by id: those with a free slot
    /// (`capacity > running`), and when every chunk's job is public only the best
    /// `nodesWanted(chunks:jobs:)` of them by (most free slots, lowest id); none without chunks.
    /// Copying every online node on every wake (10,000 at a time) was a tenth of a fleet run.
    public var nodes: [Node]
    /// How many nodes are online by the window, free slot or not: what the gauge reports and
    /// what traces and digests record of the node list.
    public var onlineNodes: Int
    /// The online node seen longest ago (ties: the lowest id), listed or not: the one a wrong
    /// online window would let in first. The harness checks it against the heartbeats it saw,
    /// beside the listed nodes. Nil when no node is online.
    public var stalestOnlineNode: NodeID?
    /// The jobs of `chunks`, by id.
    public var jobs: [Job]
    /// Pending chunks beyond the batch (the scheduler rewakes at once when there are more).
    public var morePending: Bool
    /// How many of the best free nodes a snapshot of `chunks` chunks of `jobs` must list for the
    /// planner to make the plan it would make from all of them. Every node is eligible for a
    /// public job, and each chunk takes the eligible node with the most free slots (ties to the
    /// lowest id), or the best but one when it avoids the node of its reaped claim: a node
    /// chosen for the k-th chunk ranks, before the pass, below at most k others (each of them
    /// was chosen earlier, which lowered it, or is the avoided one), so the best `chunks + 1`
    /// hold every node the pass can choose, and the best node at every step. Restricted jobs
    /// need every free node (eligibility is the sentinel's, guild filters included). No chunk,
    /// no node.
    public static func nodesWanted(chunks: Int, jobs: [Job]) -> Int {
        guard chunks > 0 else { return 0 }
        return jobs.allSatisfy { $0.accessType == .public } ? chunks + 1 : Int.max
    }
    /// `onlineNodes` defaults to `nodes.count` (a snapshot that lists every online node, as a
    /// hand-built one in a test or a recording made before the count existed does).
    public init(
        chunks: [Chunk], nodes: [Node], jobs: [Job], morePending: Bool, onlineNodes: Int? = nil,
        stalestOnlineNode: NodeID? = nil
    ) {
        self.chunks = chunks
        self.nodes = nodes
        self.onlineNodes = onlineNodes ?? nodes.count
        self.stalestOnlineNode = stalestOnlineNode
        self.jobs = jobs
        self.morePending = morePending
    }
}

/// One planned assignment.
public struct PlannedAssignment: Sendable, Equatable {
    public var chunkID: ChunkID
    public var nodeID: NodeID
    public init(chunkID: ChunkID, nodeID: NodeID) {
        self.chunkID = chunkID
        self.nodeID = nodeID
    }
}

/// An assignment the store made: what is pushed to the node (the seeds' ChunkPayload).
public struct ChunkAssignment: Sendable, Equatable {
    public var chunkID: ChunkID
    public var jobID: JobID
    public var nodeID: NodeID
    public var attempt: Int
    public var configHash: ConfigHash
    public var iterations: Int
    public var seedOffset: Int64
    public var claimedAt: Timestamp
    public init(chunkID: ChunkID, jobID: JobID, nodeID: NodeID, attempt: Int, configHash: ConfigHash, iterations: Int, seedOffset: Int64, claimedAt: Timestamp) {
        self.chunkID = chunkID
        self.jobID = jobID
        self.nodeID = nodeID
        self.attempt = attempt
        self.configHash = configHash
        self.iterations = iterations
        self.seedOffset = seedOffset
        self.claimedAt = claimedAt
    }
}

/// The ages `cleanup_stale_data()` deletes beyond, measured on the store's clock.
public struct CleanupAges: Sendable, Equatable {
    /// Unclaimed nodes still `pending` created longer ago than this (1 h).
    public var unclaimedNode: Interval
    /// `offline` nodes last seen longer ago than this (30 days).
    public var offlineNode: Interval
    /// Configs no job references, last used longer ago than this (7 days).
    public var unusedConfig: Interval
    public init(unclaimedNode: Interval, offlineNode: Interval, unusedConfig: Interval) {
        self.unclaimedNode = unclaimedNode
        self.offlineNode = offlineNode
        self.unusedConfig = unusedConfig
    }
}

public struct CleanupCounts: Sendable, Equatable {
    public var unclaimedNodes = 0
    public var offlineNodes = 0
    public var unusedConfigs = 0
    public init() {}
}

/// A committed `NOTIFY`.
public struct StoreNotification: Sendable, Equatable {
    public var channel: String
    public var payload: String
    public init(channel: String, payload: String) {
        self.channel = channel
        self.payload = payload
    }
}
