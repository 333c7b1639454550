/// The statements the sentinel sends to the store, as data: the simulator delivers them over a
/// simulated connection (with latency, drops and a restarting server), production runs them
/// through libpq. Both then hand back a `StoreReply`.
///
/// Calls carry intervals, never instants: the store measures them back from its own `now()`,
/// as the seeds' SQL does (`last_seen_at > now() - interval '30 seconds'`), so the sentinel's
/// clock skew does not move what "online" means.
public enum StoreCall: Sendable, Equatable {
    /// Nodes seen within `onlineWindow` of the store's clock.
    case snapshot(limit: Int, onlineWindow: Interval)
    /// Guarded, the store also skips nodes not seen within `onlineWindow` of its own clock: a
    /// node can fall silent between the snapshot and the apply.
    case apply(plan: [PlannedAssignment], guarded: Bool, onlineWindow: Interval? = nil)
    /// Today's reclaim.rs: chunks of nodes silent for longer than `silence`.
    case reclaimSilent(silence: Interval)
    case gauges(onlineWindow: Interval)
}

public struct StoreGauges: Sendable, Equatable {
    public var pendingChunks: Int
    public var runningChunks: Int
    public var onlineNodes: Int
    public init(pendingChunks: Int, runningChunks: Int, onlineNodes: Int) {
        self.pendingChunks = pendingChunks
        self.runningChunks = runningChunks
        self.onlineNodes = onlineNodes
    }
}

public enum StoreReply: Sendable, Equatable {
    case snapshot(AssignmentSnapshot)
    case applied([ChunkAssignment])
    case reclaimed([ChunkID])
    case gauges(StoreGauges)
    case failed(StoreError)
}

extension StoreCall {
    /// Runs the call against a store: what the store's server does when the statement
    /// arrives, on its own clock. One transaction per call.
    public func perform<S: JobStore>(on store: inout S) -> StoreReply {
        do {
            switch self {
            case .snapshot(let limit, let window):
                return .snapshot(try store.assignmentSnapshot(limit: limit, onlineWindow: window))
            case .apply(let plan, let guarded, let window):
                return .applied(try store.applyAssignments(plan, guarded: guarded, onlineWindow: window))
            case .reclaimSilent(let silence):
                return .reclaimed(try store.reclaimChunksOfSilentNodes(silence: silence))
            case .gauges(let window):
                let online = try store.assignmentSnapshot(limit: 0, onlineWindow: window).onlineNodes
                return .gauges(StoreGauges(
                    pendingChunks: try store.pendingChunkCount(), runningChunks: try store.runningChunkCount(),
                    onlineNodes: online))
            }
        } catch {
            return .failed(error)
        }
    }
}
