import SimHarness
import JobSystem

extension RunRecord {
    /// The record a sweep worker reports for a checked run; with `tuning`, the threshold-tuning
    /// figures too (`world.nodes` of the run's plan gives the fleet size for the heartbeat load).
    public init(_ v: Verdict, tuningNodes: Int? = nil) {
        let o = v.outcome
        self.init(
            key: RunKey(scenario: v.scenario, profile: v.profile, seed: v.seed), passed: v.passed,
            mustBeClean: v.mustBeClean, expected: v.expected.map(\.rawValue), violated: v.violated.map(\.rawValue),
            firstViolation: o.violations.first?.description, digest: "\(o.digest)", events: o.events,
            simSeconds: o.simSeconds, jobsTotal: o.jobsTotal, jobsCompleted: o.jobsCompleted,
            jobLatencyP50: o.measures.jobLatencyP50, jobLatencyP99: o.measures.jobLatencyP99)
        if let n = tuningNodes { tuning = RunMeasures(o, nodes: n) }
    }
}

extension Scenario {
    /// Runs one seed and returns its record with the tuning figures (what `sweep-worker
    /// --measures` prints).
    public func tuningRecord(seed: UInt64, profile: Profile) -> RunRecord {
        RunRecord(check(seed: seed, profile: profile), tuningNodes: plan(seed: seed, profile: profile).world.nodes.count)
    }
}
