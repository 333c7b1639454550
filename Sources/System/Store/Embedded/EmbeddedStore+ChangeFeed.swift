/// The change feed: every committed status change (and node change of a running chunk), in
/// commit order, as PostgreSQL's logical decoding would report it. The harness reads it to
/// check every transition independently of the store's own guards.
struct StagedChunkChange: Sendable {
    var handle: Int
    var from: ChunkStatus
    var fromNode: NodeID?
    var claimedAt: Timestamp?
    var attempt: Int
}

extension EmbeddedStore {
    /// Committed changes not yet taken, in commit order.
    public mutating func takeChanges() -> [RowChange] {
        defer { changes.removeAll(keepingCapacity: true) }
        return changes
    }

    /// Remembers the row as it was before a status change; `logChunkWrite` completes it.
    mutating func stageChunkChange(_ handle: Int, from: ChunkStatus) {
        let row = chunks[handle]
        stagedChunkChange = StagedChunkChange(
            handle: handle, from: from, fromNode: row.nodeID, claimedAt: row.claimedAt, attempt: row.attempt)
    }

    /// Run for every chunk row written (with the trigger): logs an insert, or the staged change
    /// if the status, the node or the claim (`attempt`) changed: a running chunk claimed again,
    /// even by the same node, is a change.
    mutating func logChunkWrite(_ handle: Int) {
        let row = chunks[handle]
        let staged = stagedChunkChange
        stagedChunkChange = nil
        if let staged, staged.handle == handle {
            guard staged.from != row.status || staged.fromNode != row.nodeID || staged.attempt != row.attempt else { return }
            changes.append(.chunk(ChunkChange(
                id: row.id, jobID: row.jobID, from: staged.from, to: row.status, fromNode: staged.fromNode,
                toNode: row.nodeID, claimedAtBefore: staged.claimedAt, iterations: row.iterations,
                attempt: row.attempt, at: row.claimedAt ?? row.completedAt ?? row.createdAt)))
        } else if row.attempt == 0 && row.status == .pending && row.nodeID == nil && row.completedAt == nil {
            // A write without a status change on a never-assigned pending row: the insert.
            changes.append(.chunk(ChunkChange(
                id: row.id, jobID: row.jobID, from: nil, to: row.status, fromNode: nil, toNode: nil,
                claimedAtBefore: nil, iterations: row.iterations, attempt: 0, at: row.createdAt)))
        }
    }
}
