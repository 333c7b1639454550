import JobSystem

/// One grid point of a tuning sweep: its thresholds, the static rules they break, and the
/// figures of its runs (every scenario of the set × every seed) aggregated.
public struct TunePoint: Sendable, Equatable {
    /// The profile spec the runs used (`fixed:heartbeat=10s:...`): what `simharness run
    /// --profile` takes to reproduce one.
    public var spec: String
    public var thresholds: Thresholds
    public var ruleFailures: [RuleFailure]
    public var runs = 0
    /// Runs whose worker died (no figures).
    public var crashed: [RunKey] = []
    public var jobLatencyP50 = 0.0
    public var jobLatencyP99 = 0.0
    public var assignmentDelayP99 = 0.0
    public var wastedComputations = 0.0
    public var duplicateExecutions = 0.0
    public var falseReclaims = 0
    public var starvationNodeSeconds = 0.0
    public var heartbeatLoad = 0.0
    public var unfinishedJobs = 0
    /// Runs that broke an invariant, and which: invariant → runs, sorted.
    public var violations: [String: [RunKey]] = [:]
    /// Runs with false reclaims or unfinished jobs (the seeds that show them).
    public var falseReclaimRuns: [RunKey] = []
    public var unfinishedRuns: [RunKey] = []

    public var violatingRuns: Int { Set(violations.values.joined()).count }

    /// A point that may be recommended: every rule holds, and no run broke an invariant, left
    /// a job unfinished, took work from a healthy node or crashed.
    public var acceptable: Bool {
        ruleFailures.isEmpty && violations.isEmpty && unfinishedJobs == 0 && falseReclaims == 0 && crashed.isEmpty
    }

    /// Aggregates the runs of one point. Runs without tuning figures (crashed) count as crashed.
    public init(spec: String, thresholds: Thresholds, assumptions: ThresholdAssumptions, runs records: [RunRecord]) {
        self.spec = spec
        self.thresholds = thresholds
        self.ruleFailures = thresholds.ruleFailures(assumptions)
        var n = 0.0
        var withJobs = 0.0
        for r in records {
            runs += 1
            for inv in r.violated { violations[inv, default: []].append(r.key) }
            guard r.error == nil, let t = r.tuning else {
                crashed.append(r.key)
                continue
            }
            n += 1
            if r.jobsCompleted > 0 {
                withJobs += 1
                jobLatencyP50 += t.jobLatencyP50
                jobLatencyP99 += t.jobLatencyP99
            }
            assignmentDelayP99 += t.assignmentDelayP99
            wastedComputations += Double(t.wastedComputations)
            duplicateExecutions += Double(t.duplicateExecutions)
            falseReclaims += t.falseReclaims
            starvationNodeSeconds += t.starvationNodeSeconds
            heartbeatLoad += t.heartbeatsPerSecondPer1000
            unfinishedJobs += t.unfinishedJobs
            if t.falseReclaims > 0 { falseReclaimRuns.append(r.key) }
            if t.unfinishedJobs > 0 { unfinishedRuns.append(r.key) }
        }
        if withJobs > 0 {
            jobLatencyP50 /= withJobs
            jobLatencyP99 /= withJobs
        }
        if n > 0 {
            assignmentDelayP99 /= n
            wastedComputations /= n
            duplicateExecutions /= n
            starvationNodeSeconds /= n
            heartbeatLoad /= n
        }
        for k in violations.keys { violations[k]!.sort() }
        crashed.sort()
        falseReclaimRuns.sort()
        unfinishedRuns.sort()
    }
}

/// The result of a tuning sweep: every grid point with its figures, the Pareto front of job
/// latency against wasted compute and heartbeat load, and the recommended point.
public struct TuneSummary: Sendable, Equatable {
    /// The sweep it was computed from (plan and every run: what shards write and merge reads).
    public var sweep: SweepSummary
    public var points: [TunePoint]
    /// Indices into `points` of the acceptable points no other acceptable point beats on all of
    /// job latency p99, wasted compute and heartbeat load (and is strictly better on one).
    public var pareto: [Int]
    /// Index into `points` of the recommendation, if any point is acceptable.
    public var recommended: Int?
    /// The keys that vary between points (the grid's axes, as the runs show them).
    public var axes: [ThresholdKey]
    public var assumptions: ThresholdAssumptions

    /// The three objectives of the Pareto front.
    public static let paretoMeasures: [TuneMeasure] = [.jobLatencyP99, .wastedComputations, .heartbeatLoad]
    /// The figures the recommendation's score adds up, each divided by its median over the
    /// acceptable points (so no unit dominates).
    public static let scoreMeasures: [TuneMeasure] = [
        .jobLatencyP99, .jobLatencyP50, .assignmentDelayP99, .wastedComputations, .duplicateExecutions, .heartbeatLoad,
    ]

    public struct Error: Swift.Error, CustomStringConvertible {
        public var description: String
    }

    /// Groups the sweep's runs by profile spec (one per grid point, in plan order).
    public init(sweep: SweepSummary, assumptions: ThresholdAssumptions = ThresholdAssumptions()) throws(Error) {
        self.sweep = sweep
        self.assumptions = assumptions
        var specs: [String] = []
        for c in sweep.plan.cells where !specs.contains(c.profile) { specs.append(c.profile) }
        var byProfile: [String: [RunRecord]] = [:]
        for r in sweep.runs { byProfile[r.key.profile, default: []].append(r) }
        var points: [TunePoint] = []
        for s in specs {
            let profile: Profile
            do { profile = try Profile(spec: s) } catch {
                guard let p = Profile.named(s) else { throw Error(description: "the sweep's profile \(s) is not a profile: \(error)") }
                profile = p
            }
            points.append(TunePoint(spec: s, thresholds: Thresholds(profile: profile), assumptions: assumptions, runs: byProfile[s] ?? []))
        }
        self.points = points
        axes = ThresholdKey.allCases.filter { k in Set(points.map { $0.thresholds.value(k) }).count > 1 }
        pareto = Self.front(points)
        recommended = Self.recommend(points, front: pareto)
    }

    static func front(_ points: [TunePoint]) -> [Int] {
        let ok = points.indices.filter { points[$0].acceptable }
        func v(_ i: Int) -> [Double] { paretoMeasures.map { $0.value(points[i]) } }
        return ok.filter { i in
            let a = v(i)
            return !ok.contains { j in
                let b = v(j)
                return j != i && zip(b, a).allSatisfy { $0 <= $1 } && zip(b, a).contains { $0 < $1 }
            }
        }
    }

    static func recommend(_ points: [TunePoint], front: [Int]) -> Int? {
        let ok = points.indices.filter { points[$0].acceptable }
        guard !front.isEmpty else { return nil }
        let medians = scoreMeasures.map { m -> Double in
            let vs = ok.map { m.value(points[$0]) }.sorted()
            let med = vs[vs.count / 2]
            return med > 0 ? med : 1
        }
        func score(_ i: Int) -> Double {
            zip(scoreMeasures, medians).reduce(0) { $0 + $1.0.value(points[i]) / $1.1 }
        }
        // Lowest score; ties to the earlier grid point.
        return front.min { score($0) < score($1) || (score($0) == score($1) && $0 < $1) }
    }

    /// The recommendation's score terms, for the report.
    public func score(_ i: Int) -> Double {
        let ok = points.indices.filter { points[$0].acceptable }
        guard !ok.isEmpty else { return .infinity }
        return Self.scoreMeasures.reduce(0) { sum, m in
            let vs = ok.map { m.value(points[$0]) }.sorted()
            let med = vs[vs.count / 2]
            return sum + m.value(points[i]) / (med > 0 ? med : 1)
        }
    }

    /// The command that reproduces one run.
    public static func reproduce(_ k: RunKey) -> String {
        "simharness run \(k.scenario) --profile \(k.profile) --seed \(k.seed)"
    }
}
