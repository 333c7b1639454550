import Engine
import JobSystem

/// Measure-based expectations a scenario sets on its plan (`RunPlan.expect`). Each one turns a
/// measure that used to be only recorded into something the run must keep, with a bound the
/// scenario derives from the profile's thresholds (never a number copied from a run), so that
/// a sentinel that stops reacting to notifications, a node that stops retrying, a planner that
/// spreads work wrongly or a filter sized wrongly fails the catalogue instead of passing on a
/// fallback. Unset (the default), nothing is checked: a scenario opts in to what its shape
/// guarantees (for example zero duplicate executions only where no node crashes, hangs or is
/// cut off).
public struct Expectations: Sendable, Equatable {
    /// `prompt-assignment`: the 99th percentile of the delay from a chunk becoming pending to its
    /// assignment, over the chunks that became pending at or after `assignmentDelayFrom`, is at
    /// most this many seconds. A scenario sets it only where every chunk has a free slot
    /// waiting for it (else the delay is the compute time of others).
    public var assignmentDelayP99Seconds: Double? = nil
    public var assignmentDelayFrom: SimInstant = .zero
    /// `no-duplicate-work`: no chunk computed twice, no finished computation wasted, and no
    /// honest node's completion refused (409): where no node crashes, hangs or is cut off, or
    /// where the rules promise it (a late result accepted).
    public var noDuplicateWork = false
    /// `no-skipped-assignment`: the guarded apply skips nothing the sentinel planned (one
    /// sentinel, no faults: nobody else changes a row between its snapshot and its apply).
    public var noSkippedAssignments = false
    /// `filter-false-positives`: the observed false-positive rate of the sentinel's guild
    /// filters (probes of non-members at the end of the run) is at most this.
    public var maxFilterFalsePositiveRate: Double? = nil
    /// `reaped-in-time`: a reaped claim is at most this many seconds past the claim timeout
    /// (the reaper's period, where the claims reaped are of silent nodes).
    public var maxReapDelaySeconds: Double? = nil

    public init() {}

    /// The bound of `prompt-assignment` while notifications flow: the debounce, plus a few round
    /// trips over `link` at its slowest (the notification, a pass that may be in progress, the
    /// snapshot and the apply), plus the store's statement delay if any.
    public static func promptBound(_ profile: Profile, link: LinkModel, storeDelay: SimDuration = .zero, roundTrips: Int = 4) -> Double {
        let oneWay = slowest(link.latency).seconds
        return profile.debounce.seconds + Double(roundTrips) * (2 * oneWay + storeDelay.seconds)
    }

    /// The bound of `prompt-assignment` when every notification is lost: the sentinel finds the
    /// work on its fallback wake, one fallback period after its last pass at most.
    public static func fallbackBound(_ profile: Profile, link: LinkModel, storeDelay: SimDuration = .zero) -> Double {
        profile.fallbackPeriod.seconds + promptBound(profile, link: link, storeDelay: storeDelay)
    }

    /// The slowest one-way delivery of a latency distribution (one second for an unbounded
    /// one: no scenario with a prompt bound uses those).
    static func slowest(_ d: DurationDistribution) -> SimDuration {
        switch d {
        case .constant(let x): return x
        case .uniform(_, let high): return high
        case .exponential, .logNormal: return .seconds(Int64(1))
        }
    }

    /// The bound of `filter-false-positives`: the filters' design rate `p` plus five standard
    /// deviations of a rate observed over `probes` probes (a filter sized for `p` passes it on
    /// every seed; one sized for 2p or with a hash function fewer does not).
    public static func falsePositiveBound(designRate p: Double, probes: Int) -> Double {
        p + 5 * (p * (1 - p) / Double(max(1, probes))).squareRoot()
    }
}
