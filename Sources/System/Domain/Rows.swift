/// One row of each table of the seeds, as both stores return them. Column names are in the doc
/// comments where they differ from the property names.

public struct JobRow: Sendable, Equatable {
    public var id: JobID
    public var userID: UserID
    public var configHash: ConfigHash
    public var status: JobStatus
    public var totalIterations: Int
    /// `completed_iterations`: the iterations of the job's completed chunks.
    public var completedIterations: Int
    /// `result`: the aggregate of the chunk results, written with the last completion.
    public var result: SimulationResult?
    public var accessType: AccessType
    public var discordServerID: String?
    public var chunkCount: Int
    public var createdAt: Timestamp
    public var completedAt: Timestamp?

    public init(
        id: JobID, userID: UserID, configHash: ConfigHash, status: JobStatus, totalIterations: Int,
        completedIterations: Int, result: SimulationResult?, accessType: AccessType, discordServerID: String?,
        chunkCount: Int, createdAt: Timestamp, completedAt: Timestamp?
    ) {
        self.id = id
        self.userID = userID
        self.configHash = configHash
        self.status = status
        self.totalIterations = totalIterations
        self.completedIterations = completedIterations
        self.result = result
        self.accessType = accessType
        self.discordServerID = discordServerID
        self.chunkCount = chunkCount
        self.createdAt = createdAt
        self.completedAt = completedAt
    }
}

public struct ChunkRow: Sendable, Equatable {
    public var id: ChunkID
    public var jobID: JobID
    /// `chunk_index`: position in the job, 0-based; chunk i covers iterations from its seed offset.
    public var index: Int
    /// `node_id`: the node it is assigned to while running.
    public var nodeID: NodeID?
    public var configHash: ConfigHash
    public var iterations: Int
    public var seedOffset: Int64
    public var status: ChunkStatus
    public var result: ChunkResult?
    public var claimedAt: Timestamp?
    public var completedAt: Timestamp?
    public var createdAt: Timestamp
    /// `attempt`: incremented by every assignment; the claim a node must present to complete it.
    public var attempt: Int
    /// `last_node_id`: the node of the latest assignment, kept when the claim is reaped so that
    /// its late result can still be recognised.
    public var lastNodeID: NodeID?
    /// `pending_seq`: a sequence number taken when the chunk is created (creation order, the
    /// tie-free form of today's `ORDER BY created_at`) and kept when it becomes pending again:
    /// the pending queue is oldest first by it, so a reaped chunk goes back to the front, as in
    /// today's sentinel.
    public var pendingSeq: Int64

    public init(
        id: ChunkID, jobID: JobID, index: Int, nodeID: NodeID?, configHash: ConfigHash, iterations: Int,
        seedOffset: Int64, status: ChunkStatus, result: ChunkResult?, claimedAt: Timestamp?,
        completedAt: Timestamp?, createdAt: Timestamp, attempt: Int, lastNodeID: NodeID?, pendingSeq: Int64
    ) {
        self.id = id
        self.jobID = jobID
        self.index = index
        self.nodeID = nodeID
        self.configHash = configHash
        self.iterations = iterations
        self.seedOffset = seedOffset
        self.status = status
        self.result = result
        self.claimedAt = claimedAt
        self.completedAt = completedAt
        self.createdAt = createdAt
        self.attempt = attempt
        self.lastNodeID = lastNodeID
        self.pendingSeq = pendingSeq
    }
}

public struct ConfigRow: Sendable, Equatable {
    public var hash: ConfigHash
    /// `config`: the canonical JSON text the hash was taken of (`resultBounds` is derived from it).
    public let canonicalJSON: String
    public var rotationID: String?
    public var createdAt: Timestamp
    public var lastUsedAt: Timestamp
    /// What chunk-complete checks a result against (the fight length, the most damage an
    /// iteration can deal), derived from `canonicalJSON` once, when the row is built, instead of
    /// parsing the config again for every completion. Nil if the text is not a valid config
    /// (rows written by hand or by another system: results are then not checked against it).
    public let resultBounds: ConfigResultBounds?

    public init(hash: ConfigHash, canonicalJSON: String, rotationID: String?, createdAt: Timestamp, lastUsedAt: Timestamp) {
        self.hash = hash
        self.canonicalJSON = canonicalJSON
        self.rotationID = rotationID
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
        self.resultBounds = ConfigResultBounds(canonicalJSON: canonicalJSON)
    }
}

/// A config's bounds on one chunk's result (see `ConfigRow.resultBounds`).
public struct ConfigResultBounds: Sendable, Equatable {
    public var fightLengthSeconds: Int
    /// `SimConfig.maxIterationDamage`.
    public var maxIterationDamage: UInt64

    public init(fightLengthSeconds: Int, maxIterationDamage: UInt64) {
        self.fightLengthSeconds = fightLengthSeconds
        self.maxIterationDamage = maxIterationDamage
    }

    /// Parses and validates the config; nil if it is not one.
    public init?(canonicalJSON: String) {
        guard let json = try? JSONValue.parse(canonicalJSON), let config = try? SimConfig(json: json) else { return nil }
        self.init(fightLengthSeconds: config.fightLengthSeconds, maxIterationDamage: config.maxIterationDamage)
    }
}

public struct RotationRow: Sendable, Equatable {
    public var id: String
    public var canonicalJSON: String
    public var createdAt: Timestamp

    public init(id: String, canonicalJSON: String, createdAt: Timestamp) {
        self.id = id
        self.canonicalJSON = canonicalJSON
        self.createdAt = createdAt
    }
}

public struct NodeRow: Sendable, Equatable {
    public var id: NodeID
    public var publicKey: PublicKey
    /// `user_id`: set by the claim; unclaimed nodes may not heartbeat.
    public var userID: UserID?
    public var name: String
    public var status: NodeStatus
    public var totalCores: Int
    public var maxParallel: Int
    public var platform: String
    public var version: String
    public var claimCode: String
    public var lastSeenAt: Timestamp?
    public var createdAt: Timestamp

    /// Chunks it may run at once: `min(max_parallel, total_cores)`.
    public var capacity: Int { max(0, min(maxParallel, totalCores)) }

    public init(
        id: NodeID, publicKey: PublicKey, userID: UserID?, name: String, status: NodeStatus, totalCores: Int,
        maxParallel: Int, platform: String, version: String, claimCode: String, lastSeenAt: Timestamp?,
        createdAt: Timestamp
    ) {
        self.id = id
        self.publicKey = publicKey
        self.userID = userID
        self.name = name
        self.status = status
        self.totalCores = totalCores
        self.maxParallel = maxParallel
        self.platform = platform
        self.version = version
        self.claimCode = claimCode
        self.lastSeenAt = lastSeenAt
        self.createdAt = createdAt
    }
}

public struct PermissionRow: Sendable, Equatable {
    public var id: PermissionID
    public var nodeID: NodeID
    public var accessType: PermissionType
    public var targetID: String?
    public var createdAt: Timestamp

    public init(id: PermissionID, nodeID: NodeID, accessType: PermissionType, targetID: String?, createdAt: Timestamp) {
        self.id = id
        self.nodeID = nodeID
        self.accessType = accessType
        self.targetID = targetID
        self.createdAt = createdAt
    }
}

/// `auth.users` joined with `auth.identities`: what the scheduler needs of a user.
public struct UserRow: Sendable, Equatable {
    public var id: UserID
    /// The user's Discord account id (a snowflake, decimal), if linked.
    public var discordID: String?

    public init(id: UserID, discordID: String?) {
        self.id = id
        self.discordID = discordID
    }
}
