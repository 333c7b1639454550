/// What the sentinel exposes on /status and /metrics.
public struct SentinelMetrics: Sendable, Equatable {
    public var passes = 0
    public var chunksAssigned = 0
    /// Rows of a plan the store refused (changed since the snapshot).
    public var assignmentsSkipped = 0
    public var chunksReclaimed = 0
    public var notificationsReceived = 0
    public var storeErrors = 0
    public var abandonedCalls = 0
    public var lastPassAt: Timestamp? = nil
    /// Time from a pass's wake to its assignments being committed, last pass.
    public var lastPassLatency: Interval? = nil
    public var gauges: StoreGauges? = nil
    public init() {}
}
