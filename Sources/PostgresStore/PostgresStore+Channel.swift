import JobSystem

/// What the node assignment channel reads when a node (re)subscribes.
extension PostgresStore {
    /// The chunks running on `node`, in creation order, through the `jobs_chunks_running_by_node`
    /// index (the protocol's default filters every running chunk).
    public func runningChunks(ofNode node: NodeID) throws(StoreError) -> [ChunkRow] {
        try db.execute(
            """
            SELECT \(Self.chunkColumns) FROM jobs_chunks WHERE node_id = $1 AND status = 'running'
            ORDER BY (SELECT seq FROM jobs j WHERE j.id = job_id), chunk_index
            """,
            [node.uuidString]
        ).all.map(Self.chunk)
    }
}
