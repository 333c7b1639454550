import JobSystem

/// What the node assignment channel reads (production only, not part of `JobStore`).
extension PostgresStore {
    /// The claims `node` holds now (running chunks with their attempt), oldest claim first:
    /// what a node learns when its channel opens, so an assignment pushed while it was not
    /// subscribed is not lost to it. Uses the `jobs_chunks_running_by_node` index.
    public func heldAssignments(of node: NodeID) throws(StoreError) -> [ChunkAssignment] {
        try db.execute("""
            SELECT id, job_id, attempt, config_hash, iterations, seed_offset, epoch_us(claimed_at)
            FROM jobs_chunks WHERE node_id = $1 AND status = 'running' ORDER BY claimed_at, id
            """, [node.uuidString]).all.map { (r: PGRow) throws(StoreError) -> ChunkAssignment in
            ChunkAssignment(
                chunkID: try r.id(0), jobID: try r.id(1), nodeID: node, attempt: try r.int(2),
                configHash: try r.configHash(3), iterations: try r.int(4), seedOffset: try r.int64(5),
                claimedAt: try r.optionalTimestamp(6) ?? Timestamp(micros: 0))
        }
    }
}
