/// The change feed: every committed status change (and node change of a running chunk), in
/// commit order, as PostgreSQL's logical decoding would report it. The harness reads it to
/// check every transition independently of the store's own guards.
struct StagedChunkChange: Sendable {
    var handle: Int
    var from: ChunkStatus
    var fromNode: NodeID?
    var claimedAt: Timestamp?
    var attempt: Int32
}

extension EmbeddedStore {
    /// Committed changes not yet taken, in commit order.
    ///
    /// Allocation-free when there is none (most transactions: every heartbeat): the shared
    /// empty array is answered. Otherwise the buffer itself is handed over and the feed starts
    /// a new one at the next change (`removeAll(keepingCapacity:)` after handing it over made a
    /// copy of the buffer's capacity on every call, the caller still holding the original).
    public mutating func takeChanges() -> [RowChange] {
        guard !changes.isEmpty else { return [] }
        let taken = changes
        changes = []
        return taken
    }

    /// Remembers the row as it was before a status change; `logChunkWrite` completes it.
    mutating func stageChunkChange(_ handle: Int, from: ChunkStatus) {
        let slot = chunkSlots[handle]
        stagedChunkChange = StagedChunkChange(
            handle: handle, from: from, fromNode: nodeID(slot.node), claimedAt: slot.claimedAt, attempt: slot.attempt)
    }

    /// Run for every chunk row written (with the trigger): logs an insert, or the staged change
    /// if the status, the node or the claim (`attempt`) changed: a running chunk claimed again,
    /// even by the same node, is a change.
    mutating func logChunkWrite(_ handle: Int) {
        let slot = chunkSlots[handle]
        let staged = stagedChunkChange
        stagedChunkChange = nil
        let job = Int(slot.job)
        if let staged, staged.handle == handle {
            let node = nodeID(slot.node)
            guard staged.from != slot.status || staged.fromNode != node || staged.attempt != slot.attempt else { return }
            changes.append(.chunk(ChunkChange(
                id: chunkID(handle), jobID: jobs[job].id, from: staged.from, to: slot.status, fromNode: staged.fromNode,
                toNode: node, claimedAtBefore: staged.claimedAt, iterations: chunkIterations(handle),
                attempt: Int(slot.attempt), at: slot.claimedAt ?? slot.completedAt ?? jobs[job].createdAt)))
        } else if slot.attempt == 0 && slot.status == .pending && slot.node < 0 && slot.completedAt == nil {
            // A write without a status change on a never-assigned pending row: the insert.
            changes.append(.chunk(ChunkChange(
                id: chunkID(handle), jobID: jobs[job].id, from: nil, to: slot.status, fromNode: nil, toNode: nil,
                claimedAtBefore: nil, iterations: chunkIterations(handle), attempt: 0, at: jobs[job].createdAt)))
        }
    }
}
