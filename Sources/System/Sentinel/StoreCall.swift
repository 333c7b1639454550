/// The statements the sentinel sends to the store, as data: the simulator delivers them over a
/// simulated connection (with latency, drops and a restarting server), production runs them
/// through libpq. Both then hand back a `StoreReply`.
public enum StoreCall: Sendable, Equatable {
    case snapshot(limit: Int, onlineSince: Timestamp)
    /// Guarded, the store also skips nodes not seen within `onlineWindow` of its own clock: a
    /// node can fall silent between the snapshot and the apply.
    case apply(plan: [PlannedAssignment], guarded: Bool, onlineWindow: Interval? = nil)
    /// Today's reclaim.rs: chunks of nodes silent since the given time.
    case reclaimSilent(silentSince: Timestamp)
    case gauges(onlineSince: Timestamp)
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
    /// Runs the call against a store at `now`: what the store's server does when the statement
    /// arrives. One transaction per call.
    public func perform<S: JobStore>(on store: inout S, now: Timestamp) -> StoreReply {
        do {
            switch self {
            case .snapshot(let limit, let since):
                return .snapshot(store.assignmentSnapshot(limit: limit, onlineSince: since))
            case .apply(let plan, let guarded, let window):
                return .applied(try store.applyAssignments(
                    plan, guarded: guarded, onlineSince: window.map { now - $0 }, now: now))
            case .reclaimSilent(let since):
                return .reclaimed(try store.reclaimChunksOfSilentNodes(silentSince: since, now: now))
            case .gauges(let since):
                let online = store.assignmentSnapshot(limit: 0, onlineSince: since).nodes.count
                return .gauges(StoreGauges(
                    pendingChunks: store.pendingChunkCount(), runningChunks: store.runningChunks().count,
                    onlineNodes: online))
            }
        } catch {
            return .failed(error)
        }
    }
}
