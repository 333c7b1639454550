/// The guarded apply's rule, as a pure function of the rows it reads. Both stores call it: the
/// embedded store on its arrays, PostgreSQL on the chunk and node rows it locked (`SELECT … FOR
/// UPDATE`, chunks then nodes, each in id order, so two sentinels applying at once serialise
/// instead of deadlocking) and the node backlogs counted after the locks were granted.
public enum AssignmentGuard {
    /// Whether one planned row may be applied now:
    /// - the chunk is still `pending` with `node_id` NULL (another sentinel, the reaper's
    ///   victim's late result or a completion may have moved it since the snapshot);
    /// - the node is below its capacity, counting the rows of this plan applied before it;
    /// - with `onlineSince` (`now() - onlineWindow` on the store's clock), the node was seen
    ///   after it: a node can fall silent between the snapshot and the apply.
    public static func admits(
        chunkStatus: ChunkStatus, chunkNode: NodeID?, nodeRunning: Int, nodeCapacity: Int,
        nodeLastSeen: Timestamp?, onlineSince: Timestamp?
    ) -> Bool {
        guard chunkStatus == .pending, chunkNode == nil, nodeRunning < nodeCapacity else { return false }
        if let since = onlineSince {
            guard let seen = nodeLastSeen, seen > since else { return false }
        }
        return true
    }
}
