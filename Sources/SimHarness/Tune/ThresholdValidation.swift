import JobSystem

/// `validate-thresholds`' judgement: the static rules, then the simulation evidence of a
/// candidate against a baseline over the same scenarios and seeds.
///
/// A problem is one of
/// - a broken static rule;
/// - a run of the candidate that broke an invariant, crashed, left a job unfinished or took
///   work from a healthy node (false reclaim);
/// - a regression: over a scenario's seeds, the candidate's mean of a figure is worse than the
///   baseline's beyond the tolerance (`Regression.limit`).
/// Each simulated problem names the seeds that show it, worst first, with the command that
/// reproduces each.
public struct ThresholdValidation: Sendable {
    public var candidate: String
    public var baseline: String
    public var ruleFailures: [RuleFailure]
    public var problems: [Problem]
    /// Runs each side had (scenarios × seeds).
    public var candidateRuns: Int
    public var baselineRuns: Int

    public var passed: Bool { ruleFailures.isEmpty && problems.isEmpty }

    public struct Problem: Sendable, Equatable {
        public var scenario: String
        /// `violation:<invariant>`, `unfinished-jobs`, `false-reclaims`, `crashed` or
        /// `regression:<measure>`.
        public var kind: String
        public var detail: String
        /// Runs that show it (candidate's), worst first, at most `shownRuns`.
        public var runs: [RunKey]
    }

    public static let shownRuns = 5

    /// A figure checked for regressions and how much worse the candidate may be.
    public struct Regression: Sendable {
        public var measure: TuneMeasure
        /// Relative allowance (0.10: 10 % worse passes).
        public var relative: Double
        /// Absolute allowance on top (noise on small figures).
        public var absolute: Double

        public func limit(_ baseline: Double) -> Double { baseline * (1 + relative) + absolute }
    }

    /// The checked figures. Heartbeat load is a cost the operator chooses; only a large
    /// increase (half again) is called a regression.
    public static func regressions(tolerance: Double) -> [Regression] {
        [
            Regression(measure: .jobLatencyP50, relative: tolerance, absolute: 1),
            Regression(measure: .jobLatencyP99, relative: tolerance, absolute: 1),
            Regression(measure: .assignmentDelayP99, relative: tolerance, absolute: 1),
            Regression(measure: .wastedComputations, relative: tolerance, absolute: 0.25),
            Regression(measure: .duplicateExecutions, relative: tolerance, absolute: 0.25),
            Regression(measure: .starvation, relative: tolerance, absolute: 1),
            Regression(measure: .heartbeatLoad, relative: max(tolerance, 0.5), absolute: 0),
        ]
    }

    /// Judges a sweep whose cells are the scenarios under `candidate` and under `baseline`
    /// (profile specs).
    public init(
        sweep: SweepSummary, candidate: String, baseline: String, thresholds: Thresholds,
        assumptions: ThresholdAssumptions, tolerance: Double = 0.10
    ) {
        self.candidate = candidate
        self.baseline = baseline
        ruleFailures = thresholds.ruleFailures(assumptions)
        var problems: [Problem] = []
        let scenarios = sweep.plan.cells.map(\.scenario).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        var byCell: [Cell: [RunRecord]] = [:]
        for r in sweep.runs { byCell[r.key.cell, default: []].append(r) }
        let cand = sweep.runs.filter { $0.key.profile == candidate }
        candidateRuns = cand.count
        baselineRuns = candidate == baseline ? cand.count : sweep.runs.filter { $0.key.profile == baseline }.count

        for scenario in scenarios {
            let mine = byCell[Cell(scenario: scenario, profile: candidate)] ?? []
            let theirs = byCell[Cell(scenario: scenario, profile: baseline)] ?? []
            var bySeed: [UInt64: RunRecord] = [:]
            for r in theirs { bySeed[r.key.seed] = r }
            func add(_ kind: String, _ detail: String, _ runs: [RunKey]) {
                problems.append(Problem(scenario: scenario, kind: kind, detail: detail, runs: Array(runs.prefix(Self.shownRuns))))
            }
            let crashed = mine.filter { $0.error != nil || $0.tuning == nil }
            if !crashed.isEmpty { add("crashed", "\(crashed.count) run(s) crashed: \(crashed[0].error ?? "no figures")", crashed.map(\.key)) }
            var byInvariant: [String: [RunKey]] = [:]
            for r in mine { for inv in r.violated { byInvariant[inv, default: []].append(r.key) } }
            for inv in byInvariant.keys.sorted() {
                let keys = byInvariant[inv]!
                let message = mine.first { $0.key == keys[0] }?.firstViolation
                let first = message.map { $0.hasPrefix(inv) ? " (first: \($0))" : "" } ?? ""
                add("violation:\(inv)", "\(keys.count) of \(mine.count) runs broke \(inv)\(first)", keys)
            }
            let figures = mine.compactMap { r in r.tuning.map { (r.key, $0) } }
            let unfinished = figures.filter { $0.1.unfinishedJobs > 0 }.sorted { $0.1.unfinishedJobs > $1.1.unfinishedJobs }
            if !unfinished.isEmpty {
                add("unfinished-jobs", "\(unfinished.reduce(0) { $0 + $1.1.unfinishedJobs }) job(s) unfinished at the end in \(unfinished.count) run(s)", unfinished.map(\.0))
            }
            let falseReclaims = figures.filter { $0.1.falseReclaims > 0 }.sorted { $0.1.falseReclaims > $1.1.falseReclaims }
            if !falseReclaims.isEmpty {
                add("false-reclaims", "\(falseReclaims.reduce(0) { $0 + $1.1.falseReclaims }) chunk(s) taken from nodes alive and working on them, in \(falseReclaims.count) run(s)", falseReclaims.map(\.0))
            }
            guard candidate != baseline else { continue }
            let base = theirs.compactMap(\.tuning)
            guard !figures.isEmpty, !base.isEmpty else { continue }
            for check in Self.regressions(tolerance: tolerance) {
                let m = check.measure
                let a = Self.mean(figures.map { Self.figure(m, $0.1) })
                let b = Self.mean(base.map { Self.figure(m, $0) })
                guard a > check.limit(b) else { continue }
                // The seeds where the candidate does worst against the baseline's same seed.
                let worst = figures.compactMap { k, t -> (RunKey, Double)? in
                    guard let other = bySeed[k.seed]?.tuning else { return nil }
                    let d = Self.figure(m, t) - Self.figure(m, other)
                    return d > 0 ? (k, d) : nil
                }.sorted { $0.1 > $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }
                add(
                    "regression:\(m.rawValue)",
                    "\(m.title) \(m.format(a)) against the baseline's \(m.format(b)) (allowed up to \(m.format(check.limit(b))))",
                    worst.map(\.0))
            }
        }
        self.problems = problems
    }

    static func mean(_ xs: [Double]) -> Double { xs.isEmpty ? 0 : xs.reduce(0, +) / Double(xs.count) }

    static func figure(_ m: TuneMeasure, _ t: RunMeasures) -> Double {
        switch m {
        case .jobLatencyP50: return t.jobLatencyP50
        case .jobLatencyP99: return t.jobLatencyP99
        case .assignmentDelayP99: return t.assignmentDelayP99
        case .wastedComputations: return Double(t.wastedComputations)
        case .duplicateExecutions: return Double(t.duplicateExecutions)
        case .falseReclaims: return Double(t.falseReclaims)
        case .starvation: return t.starvationNodeSeconds
        case .heartbeatLoad: return t.heartbeatsPerSecondPer1000
        case .unfinishedJobs: return Double(t.unfinishedJobs)
        case .violatingRuns: return 0
        }
    }

    // MARK: Rendering

    public var text: String {
        var out: [String] = []
        out.append("candidate: \(candidate)")
        out.append("baseline:  \(baseline)")
        out.append("")
        if ruleFailures.isEmpty {
            out.append("static rules: all \(ThresholdRule.allCases.count) hold")
        } else {
            out.append("static rules: \(ruleFailures.count) of \(ThresholdRule.allCases.count) broken")
            for f in ruleFailures {
                out.append("  FAIL \(f.rule.rawValue): \(f.detail)")
                out.append("       why: \(f.rule.reason)")
            }
        }
        out.append("")
        if candidateRuns == 0 {
            out.append("simulation: not run (static rules only)")
        } else {
            out.append("simulation: \(candidateRuns) candidate runs, \(baselineRuns) baseline runs")
        }
        if problems.isEmpty {
            out.append("  no violation, unfinished job, false reclaim or regression")
        }
        for p in problems {
            out.append("  FAIL \(p.scenario): \(p.kind): \(p.detail)")
            for k in p.runs { out.append("       \(TuneSummary.reproduce(k))") }
        }
        out.append("")
        out.append(passed ? "PASSED" : "FAILED: \(ruleFailures.count) rule(s) broken, \(problems.count) simulated problem(s)")
        return out.joined(separator: "\n")
    }

    public var json: JSONValue {
        .object([
            "candidate": .string(candidate), "baseline": .string(baseline), "passed": .bool(passed),
            "rulesBroken": .array(ruleFailures.map { .object(["rule": .string($0.rule.rawValue), "detail": .string($0.detail), "reason": .string($0.rule.reason)]) }),
            "rulesChecked": .array(ThresholdRule.allCases.map { .string($0.rawValue) }),
            "problems": .array(
                problems.map { p in
                    .object([
                        "scenario": .string(p.scenario), "kind": .string(p.kind), "detail": .string(p.detail),
                        "runs": .array(p.runs.map { .object(["seed": .number(Double($0.seed)), "reproduce": .string(TuneSummary.reproduce($0))]) }),
                    ])
                }),
            "candidateRuns": .number(Double(candidateRuns)), "baselineRuns": .number(Double(baselineRuns)),
        ])
    }
}
