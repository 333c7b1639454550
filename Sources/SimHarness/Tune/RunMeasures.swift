import JobSystem

/// The figures threshold tuning compares, for one run: what a threshold choice costs in
/// latency, wasted work, wrongful reclaims, idle nodes and store load. Sweep workers add them
/// to their run records when asked (`sweep-worker --measures`).
public struct RunMeasures: Sendable, Equatable {
    /// Job latency (row created to completed), seconds, over the run's completed jobs.
    public var jobLatencyP50: Double
    public var jobLatencyP99: Double
    /// A chunk becoming pending to its assignment, seconds.
    public var assignmentDelayP99: Double
    /// Finished computations whose result the store did not take.
    public var wastedComputations: Int
    /// Computations of a chunk beyond its first.
    public var duplicateExecutions: Int
    /// Chunks reclaimed from nodes that were alive and computing them.
    public var falseReclaims: Int
    /// Node-seconds in which nodes looked online but were outside the scheduler's window
    /// while work waited.
    public var starvationNodeSeconds: Double
    /// Heartbeat requests per second at the store, per 1,000 nodes of the fleet.
    public var heartbeatsPerSecondPer1000: Double
    /// Jobs not completed when the run ended.
    public var unfinishedJobs: Int

    public init(
        jobLatencyP50: Double, jobLatencyP99: Double, assignmentDelayP99: Double, wastedComputations: Int,
        duplicateExecutions: Int, falseReclaims: Int, starvationNodeSeconds: Double, heartbeatsPerSecondPer1000: Double,
        unfinishedJobs: Int
    ) {
        self.jobLatencyP50 = jobLatencyP50
        self.jobLatencyP99 = jobLatencyP99
        self.assignmentDelayP99 = assignmentDelayP99
        self.wastedComputations = wastedComputations
        self.duplicateExecutions = duplicateExecutions
        self.falseReclaims = falseReclaims
        self.starvationNodeSeconds = starvationNodeSeconds
        self.heartbeatsPerSecondPer1000 = heartbeatsPerSecondPer1000
        self.unfinishedJobs = unfinishedJobs
    }

    /// The figures of a finished run of a world with `nodes` nodes.
    public init(_ o: RunOutcome, nodes: Int) {
        let m = o.measures
        let perNodeSecond = o.simSeconds > 0 && nodes > 0 ? Double(m.heartbeatRequests) / o.simSeconds / Double(nodes) : 0
        self.init(
            jobLatencyP50: m.jobLatencyP50, jobLatencyP99: m.jobLatencyP99, assignmentDelayP99: m.assignmentDelayP99,
            wastedComputations: m.wastedComputations, duplicateExecutions: m.duplicateExecutions,
            falseReclaims: m.falseReclaims, starvationNodeSeconds: Double(m.onlineButIdleNodeSeconds),
            heartbeatsPerSecondPer1000: Self.round3(perNodeSecond * 1000), unfinishedJobs: o.jobsTotal - o.jobsCompleted)
    }

    /// Three decimals: a stable JSON text for a double computed from counts.
    static func round3(_ x: Double) -> Double { (x * 1000).rounded() / 1000 }

    public var json: JSONValue {
        .object([
            "jobLatencyP50": .number(jobLatencyP50), "jobLatencyP99": .number(jobLatencyP99),
            "assignmentDelayP99": .number(assignmentDelayP99),
            "wastedComputations": .number(Double(wastedComputations)),
            "duplicateExecutions": .number(Double(duplicateExecutions)), "falseReclaims": .number(Double(falseReclaims)),
            "starvationNodeSeconds": .number(starvationNodeSeconds),
            "heartbeatsPerSecondPer1000": .number(heartbeatsPerSecondPer1000),
            "unfinishedJobs": .number(Double(unfinishedJobs)),
        ])
    }

    public init(json v: JSONValue) throws(RunRecord.DecodeError) {
        func num(_ k: String) throws(RunRecord.DecodeError) -> Double {
            guard let d = v[k]?.doubleValue, d.isFinite else { throw RunRecord.DecodeError(description: "tuning figures without number '\(k)'") }
            return d
        }
        func int(_ k: String) throws(RunRecord.DecodeError) -> Int {
            let d = try num(k)
            guard let i = Int(exactly: d) else { throw RunRecord.DecodeError(description: "tuning figure '\(k)' is not a whole number") }
            return i
        }
        self.init(
            jobLatencyP50: try num("jobLatencyP50"), jobLatencyP99: try num("jobLatencyP99"),
            assignmentDelayP99: try num("assignmentDelayP99"), wastedComputations: try int("wastedComputations"),
            duplicateExecutions: try int("duplicateExecutions"), falseReclaims: try int("falseReclaims"),
            starvationNodeSeconds: try num("starvationNodeSeconds"),
            heartbeatsPerSecondPer1000: try num("heartbeatsPerSecondPer1000"), unfinishedJobs: try int("unfinishedJobs"))
    }
}
