import Engine
import SimHarness
import JobSystem

/// A named fault scenario: how to build its run for a seed and profile, and which of today's
/// defects it exposes. Its expectations follow from that:
/// - under `fixed`, no invariant is violated (liveness included);
/// - under `legacy`, and under `fixed` with any one exposed defect switched on, the invariant
///   that catches that defect is violated;
/// - under `fixed` with one of the improvements it needs switched off (`fixed-<improvement>`),
///   the invariant that improvement keeps is violated;
/// - a scenario whose plan is unsafe by design (`planBreaks`) breaks those invariants under
///   every profile.
public struct Scenario: Sendable {
    public let name: String
    public let summary: String
    /// Defects this scenario is built to expose.
    public let exposes: [Defect]
    /// Improvements of ours (`Improvement`) this scenario is built to need: without one, the
    /// fixed system breaks the improvement's invariant here.
    public let needs: [Improvement]
    /// Invariants this scenario's plan breaks whatever the system's profile: an unsafe
    /// operational plan (a deploy overlapping versions) shown to be unsafe.
    public let planBreaks: [Invariant]
    /// Fault kinds it injects (for the catalogue and reports).
    public let faults: [String]
    /// Whether `run --all` (and `sweep --all`) include it; the day-long fleet is run on a
    /// schedule instead (examples/ci).
    public let inRunAll: Bool
    /// The seeds `run --all` (and `run <name>` without `--seed`) checks it on: several, since
    /// some faults only line up on some seeds; fewer for the scenarios that take a minute each.
    public let seeds: [UInt64]
    let build: @Sendable (_ seed: UInt64, _ profile: Profile) -> RunPlan

    public init(
        name: String, summary: String, exposes: [Defect] = [], needs: [Improvement] = [],
        planBreaks: [Invariant] = [], faults: [String] = [], inRunAll: Bool = true,
        seeds: [UInt64] = Scenario.defaultSeeds,
        build: @escaping @Sendable (_ seed: UInt64, _ profile: Profile) -> RunPlan
    ) {
        self.name = name
        self.summary = summary
        self.exposes = exposes
        self.needs = needs
        self.planBreaks = planBreaks
        self.faults = faults
        self.inRunAll = inRunAll
        self.seeds = seeds
        self.build = build
    }

    /// Seeds per scenario in `run --all` unless it says otherwise.
    public static let defaultSeeds: [UInt64] = [1, 2, 3, 4, 5]

    public func plan(seed: UInt64, profile: Profile) -> RunPlan { build(seed, profile) }

    /// The invariants that must be violated under `profile` (empty: none may be).
    public func expectedViolations(under profile: Profile) -> [Invariant] {
        let defects = exposes.filter { profile.has($0) }.map(\.caughtBy)
        let missing = needs.filter { !profile.has($0) }.compactMap(\.caughtBy)
        return Array(Set(defects + missing + planBreaks)).sorted()
    }

    /// The profiles `run --all` checks this scenario under: fixed, and, for a scenario that
    /// exposes defects, legacy and fixed with each exposed defect alone, and fixed without each
    /// improvement it needs.
    public var checkedProfiles: [Profile] {
        let withDefects = exposes.isEmpty ? [] : [Profile.legacy] + exposes.map { Profile.fixed(with: $0) }
        return [.fixed] + withDefects + needs.map { Profile.fixed(without: $0) }
    }
}

/// Whether a run met its scenario's expectation under its profile.
public struct Verdict: Sendable {
    public var scenario: String
    public var profile: String
    public var seed: UInt64
    public var expected: [Invariant]
    public var violated: [Invariant]
    /// True for a profile without defects: then no invariant may be violated.
    public var mustBeClean: Bool
    public var outcome: RunOutcome

    /// Runs without defects must be clean; runs with defects must show every expected invariant
    /// (other violations are the other defects' doing).
    public var passed: Bool {
        mustBeClean ? violated.isEmpty : Set(expected).isSubset(of: Set(violated))
    }

    public var missing: [Invariant] { expected.filter { !violated.contains($0) } }
}

extension Scenario {
    /// Runs the scenario. With `stopAtFirstViolation` the run ends at the first broken
    /// invariant (its name, time and the events before it are in the outcome); otherwise it goes
    /// on to the horizon and collects every invariant broken.
    /// A `timeline` samples the run for reports; it does not change the run (same digest).
    public func check(
        seed: UInt64, profile: Profile, trace: TraceRecorder? = nil, timeline: Timeline? = nil,
        stopAtFirstViolation: Bool = false
    ) -> Verdict {
        let plan = self.plan(seed: seed, profile: profile)
        let (_, outcome) = World.run(plan, stopOnViolation: stopAtFirstViolation, trace: trace, timeline: timeline)
        return Verdict(
            scenario: name, profile: profile.name, seed: seed, expected: expectedViolations(under: profile),
            violated: outcome.violated,
            mustBeClean: profile.defects.isEmpty && profile.improvements == .all && planBreaks.isEmpty, outcome: outcome)
    }
}
