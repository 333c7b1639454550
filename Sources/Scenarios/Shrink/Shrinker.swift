import SimHarness

/// Reduces a failing run to a smaller one that still violates the same invariant.
///
/// Greedy and deterministic: the same spec, invariant and budget give the same result. Each
/// round shrinks the workload (submissions), then the fleet (nodes), both by binary search down,
/// then the fault schedule by delta debugging (drop halves of the remaining actions, then
/// quarters, ... then single actions). A candidate is kept only if its run still violates the
/// invariant; rounds repeat while one of them made progress, since a smaller fleet can make
/// an action droppable and the other way round. Every run counts against `maxRuns`; a candidate
/// already tried is not run again.
///
/// Nodes and submissions stop at one: a run without nodes or without work shows nothing of the
/// system but its absence (every job "fails" to complete), which is not the failure that was
/// asked about.
public struct Shrinker {
    public var maxRuns: Int

    public init(maxRuns: Int = 200) {
        self.maxRuns = maxRuns
    }

    public func shrink(_ spec: RunSpec, invariant: Invariant? = nil) throws -> ShrinkResult {
        var search = Search(maxRuns: maxRuns)
        let original = try search.run(spec)
        guard let target = invariant ?? original.outcome.violations.first?.invariant else {
            throw ShrinkError.notFailing(spec)
        }
        guard original.outcome.violated.contains(target) else {
            throw ShrinkError.doesNotViolate(target, got: original.outcome.violated)
        }
        search.target = target
        var best = spec
        var progress = true
        while progress && !search.exhausted {
            progress = false
            progress = try search.lower(\.submissionLimit, of: &best, current: original.size.submissions) || progress
            progress = try search.lower(\.nodeLimit, of: &best, current: original.size.nodes) || progress
            progress = try search.dropActions(of: &best) || progress
        }
        let minimal = try search.run(best)  // cached: `best` is the original or a candidate that failed
        return ShrinkResult(
            invariant: target, original: spec, originalSize: original.size, originalOutcome: original.outcome,
            minimal: best, size: minimal.size, outcome: minimal.outcome, runs: search.runs, exhausted: search.exhausted)
    }
}

/// The shrinker's result: the spec it started from and the minimal one, with their sizes and
/// outcomes, and how many runs it took.
public struct ShrinkResult: Sendable {
    public var invariant: Invariant
    public var original: RunSpec
    public var originalSize: RunSize
    public var originalOutcome: RunOutcome
    public var minimal: RunSpec
    public var size: RunSize
    public var outcome: RunOutcome
    /// Runs made (cached repeats excluded).
    public var runs: Int
    /// True if the budget ran out before no candidate helped any more: a larger budget might
    /// shrink further.
    public var exhausted: Bool
}

public enum ShrinkError: Error, CustomStringConvertible {
    case notFailing(RunSpec)
    case doesNotViolate(Invariant, got: [Invariant])

    public var description: String {
        switch self {
        case .notFailing(let s):
            return "\(s.scenario) [\(s.profile)] seed=\(s.seed) violates no invariant: nothing to shrink"
        case .doesNotViolate(let x, let got):
            let list = got.isEmpty ? "none" : got.map(\.rawValue).joined(separator: ", ")
            return "the run does not violate \(x.rawValue) (it violates: \(list))"
        }
    }
}

/// One shrink's state: the budget, the cache of tried candidates and the invariant to keep.
struct Search {
    struct Run {
        var size: RunSize
        var outcome: RunOutcome
    }

    let maxRuns: Int
    var target: Invariant = .jobsComplete
    var runs = 0
    var exhausted: Bool { runs >= maxRuns }
    /// Runs made so far, by their spec's canonical text.
    private var tried: [String: Run] = [:]

    init(maxRuns: Int) { self.maxRuns = maxRuns }

    /// Runs `spec` (or recalls its run).
    mutating func run(_ spec: RunSpec) throws -> Run {
        let key = spec.json.canonicalString
        if let known = tried[key] { return known }
        let plan = try spec.plan()
        runs += 1
        let (_, outcome) = World.run(plan)
        let result = Run(size: RunSize(of: plan), outcome: outcome)
        tried[key] = result
        return result
    }

    /// Whether `spec` still violates the target (false, without running, once the budget is
    /// spent).
    mutating func fails(_ spec: RunSpec) throws -> Bool {
        if exhausted && tried[spec.json.canonicalString] == nil { return false }
        return try run(spec).outcome.violated.contains(target)
    }

    /// Binary search for the smallest limit (at least 1) that still fails; `current` is the
    /// count in the original plan. Assumes nothing about monotonicity: the result is a limit
    /// that was seen to fail.
    mutating func lower(_ field: WritableKeyPath<RunSpec.Reduction, Int?>, of best: inout RunSpec, current: Int) throws -> Bool {
        var hi = min(best.reduction[keyPath: field] ?? current, current)
        var lo = min(1, hi)
        let start = hi
        while lo < hi && !exhausted {
            let mid = lo + (hi - lo) / 2
            var candidate = best
            candidate.reduction[keyPath: field] = mid
            if try fails(candidate) {
                hi = mid
                best = candidate
            } else {
                lo = mid + 1
            }
        }
        return hi < start
    }

    /// Delta debugging over the actions the current plan still schedules: try dropping each
    /// chunk of the current size, keep every drop that still fails, then halve the chunk size.
    mutating func dropActions(of best: inout RunSpec) throws -> Bool {
        var kept = try best.keptActions()
        var chunk = (kept.count + 1) / 2
        var progress = false
        while chunk >= 1 && !kept.isEmpty && !exhausted {
            var start = 0
            while start < kept.count && !exhausted {
                let removed = kept[start..<min(start + chunk, kept.count)]
                var candidate = best
                candidate.reduction = RunSpec.Reduction(
                    droppedActions: best.reduction.droppedActions + removed, nodeLimit: best.reduction.nodeLimit,
                    submissionLimit: best.reduction.submissionLimit)
                if try fails(candidate) {
                    best = candidate
                    kept.removeSubrange(start..<min(start + chunk, kept.count))
                    progress = true
                } else {
                    start += chunk
                }
            }
            chunk = chunk == 1 ? 0 : (chunk + 1) / 2
        }
        return progress
    }
}
