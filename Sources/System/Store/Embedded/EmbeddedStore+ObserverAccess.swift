extension EmbeddedStore {
    /// The chunk's dense handle (its creation order, `0..<chunkTotal`), nil for an id the
    /// store never made. Chunks are never deleted, so a handle names one chunk for the store's
    /// whole life: the harness's observer keeps its per-chunk ledger in pages by it instead of
    /// building a second `id → entry` index of its own (that index was 8 MB at 100,000 chunks).
    public func chunkHandle(of id: ChunkID) -> Int? { chunkHandle(id) }

    /// Each live node's handle, status and `last_seen_at`, in `allNodes`' order (by id), read
    /// from the dense entries. The observer looks at every node after each offline marking
    /// (once a simulated minute): `forEachNode` built each one's `NodeRow` (184 bytes, its
    /// strings retained and released) for these two fields, about 460 instructions a node,
    /// 1 % of a simulated day at 10,000 nodes. `nodeName(handle:)` reads a node's name.
    public func forEachNodeSighting(_ body: (_ handle: Int, _ status: NodeStatus, _ lastSeen: Timestamp?) throws -> Void) rethrows {
        for handle in nodeOrder {
            // `nodeOrder` holds live nodes only: their dense status is set (`checkConsistency`).
            guard let status = nodeDense[handle].status else {
                preconditionFailure("node handle \(handle) is in the node order but its entry has no status")
            }
            try body(handle, status, nodeLastSeen(handle))
        }
    }

    /// The name of the live node at `handle` (as `forEachNodeSighting` gives it): the row's,
    /// which the dense entry keeps (`checkConsistency` checks that the two agree).
    public func nodeName(handle: Int) -> String {
        precondition(nodeDense.indices.contains(handle), "no node entry at handle \(handle)")
        return nodeDense[handle].name
    }

    /// What the observer's `eligible-assignment` check reads of an applied assignment, read in
    /// place: the node's `last_seen_at`, capacity and owner from its dense entry (which
    /// `checkConsistency` checks against the row), its running count, and the job's owner and
    /// access type from its row, without copying either row. Nil when the node is not live (the
    /// observer then reads the rows, as it does for every assignment this cannot clear).
    /// `node(_:)` and `job(_:)` copied a 184-byte `NodeRow` and a `JobRow` (their strings
    /// retained and released) for every assignment: about 1,000 instructions each.
    ///
    /// The trade: the guarded apply reads the same dense entry (capacity, `last_seen_at`), so an
    /// entry that drifted from its row would satisfy both the guard and this check until
    /// `checkConsistency` compares entry and row (every 60 simulated seconds and at the end of
    /// a run). The running count stays independent: this reads the running list, the guard the
    /// entry's count.
    public func assignmentFacts(node: NodeID, job: JobID) -> AssignmentFacts? {
        guard let handle = nodeHandle(node), nodeDense[handle].status != nil else { return nil }
        let jobHandle = jobHandle(job)
        return AssignmentFacts(
            lastSeen: nodeLastSeen(handle), capacity: nodeDense[handle].capacity, running: nodeRunning[handle].count,
            nodeUserID: nodeDense[handle].userID, jobUserID: jobHandle.map { jobs[$0].userID },
            jobAccess: jobHandle.map { jobs[$0].accessType })
    }
}

extension EmbeddedStore {
    /// A job's dense handle (jobs are never deleted: a handle names one job for the store's
    /// whole life) and the fields the observer's progress check reads, read in place: `job(_:)`
    /// copied the whole `JobRow` (its strings and result retained and released) on every
    /// completion the observer checked.
    public func jobProgress(_ id: JobID) -> JobProgress? {
        guard let handle = jobHandle(id) else { return nil }
        return JobProgress(
            handle: handle, status: jobs[handle].status, completedIterations: jobs[handle].completedIterations,
            totalIterations: jobs[handle].totalIterations)
    }
}

extension EmbeddedStore {
    /// The results of a job's chunks that have one, in chunk index order: exactly
    /// `chunks(ofJob:).compactMap(\.result)`, without building each chunk's row (its ids, job
    /// fields and node ids) to read one field. The observer re-aggregates a job's result from
    /// them when the job completes.
    public func chunkResults(ofJob job: JobID) -> [ChunkResult] {
        guard let handle = jobHandle(job) else { return [] }
        return jobChunks[handle].compactMap { chunkResult($0) }
    }
}

/// `EmbeddedStore.jobProgress`' answer.
public struct JobProgress: Sendable {
    public var handle: Int
    public var status: JobStatus
    public var completedIterations: Int
    public var totalIterations: Int
}

/// `EmbeddedStore.assignmentFacts`' answer.
public struct AssignmentFacts: Sendable {
    public var lastSeen: Timestamp?
    public var capacity: Int
    public var running: Int
    public var nodeUserID: UserID?
    /// Nil (both) when the job is not found.
    public var jobUserID: UserID?
    public var jobAccess: AccessType?
}
