/// One committed status change, as a change feed (PostgreSQL's logical decoding, Supabase's
/// realtime) reports it. The embedded store records them so the harness can check every
/// transition independently of the store's own guards.
public enum RowChange: Sendable, Equatable {
    case chunk(ChunkChange)
    case job(JobChange)
    case node(NodeChange)
}

public struct ChunkChange: Sendable, Equatable {
    public var id: ChunkID
    public var jobID: JobID
    /// Nil for an insert.
    public var from: ChunkStatus?
    public var to: ChunkStatus
    public var fromNode: NodeID?
    public var toNode: NodeID?
    /// `claimed_at` before the change (for reclaims: how old the claim was).
    public var claimedAtBefore: Timestamp?
    public var iterations: Int
    public var attempt: Int
    /// The row's `claimed_at`, else `completed_at`, else `created_at`: for a change to running,
    /// when the claim was made.
    public var at: Timestamp
    public init(
        id: ChunkID, jobID: JobID, from: ChunkStatus?, to: ChunkStatus, fromNode: NodeID?, toNode: NodeID?,
        claimedAtBefore: Timestamp?, iterations: Int, attempt: Int, at: Timestamp
    ) {
        self.id = id
        self.jobID = jobID
        self.from = from
        self.to = to
        self.fromNode = fromNode
        self.toNode = toNode
        self.claimedAtBefore = claimedAtBefore
        self.iterations = iterations
        self.attempt = attempt
        self.at = at
    }
}

public struct JobChange: Sendable, Equatable {
    public var id: JobID
    public var from: JobStatus?
    public var to: JobStatus
    /// The job's `created_at` (the status setter is not handed the time; the harness stamps
    /// changes with its own clock as it reads the feed).
    public var at: Timestamp
    public init(id: JobID, from: JobStatus?, to: JobStatus, at: Timestamp) {
        self.id = id
        self.from = from
        self.to = to
        self.at = at
    }
}

public struct NodeChange: Sendable, Equatable {
    public var id: NodeID
    public var from: NodeStatus?
    public var to: NodeStatus
    /// The node's `created_at` (see `JobChange.at`).
    public var at: Timestamp
    public init(id: NodeID, from: NodeStatus?, to: NodeStatus, at: Timestamp) {
        self.id = id
        self.from = from
        self.to = to
        self.at = at
    }
}
