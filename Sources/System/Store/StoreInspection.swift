/// What the harness's invariant checker and reports read beyond a client's view: whole tables,
/// counts by status, backlogs, and a recomputation of the store's derived state. Only the
/// in-memory store offers it (reading it costs nothing there); the sentinel and the handlers
/// never see it.
public protocol StoreInspection {
    /// Every job in creation order.
    var allJobs: [JobRow] { get }
    /// Live nodes by id.
    var allNodes: [NodeRow] { get }
    func jobCount(_ status: JobStatus) -> Int
    func chunkCount(_ status: ChunkStatus) -> Int
    func nodeCount(_ status: NodeStatus) -> Int
    /// The number of chunks running on the node now (0 for an unknown node).
    func runningCount(of node: NodeID) -> Int
    /// Each mismatch between the derived state and the rows; empty when consistent.
    func checkConsistency() -> [String]
}
