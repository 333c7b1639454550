/// The static rules a set of thresholds must keep, each with a name and the reason it exists.
/// They are checked before any simulation (`simharness validate-thresholds`, `simharness
/// tune`) and by the production sentinel at start: a set that breaks one is wrong whatever
/// the workload, so no sweep is needed to reject it.
///
/// Some rules depend on facts about the deployment rather than on the thresholds (how long a
/// chunk may legitimately take, how late a request may arrive); those are `Assumptions`,
/// given on the command line, with defaults from the fleet workload.
public enum ThresholdRule: String, Sendable, CaseIterable, Comparable {
    case onlineWindowCoversHeartbeats = "online-window-covers-heartbeats"
    case offlineMarkingNotBeforeOnlineWindow = "offline-marking-not-before-online-window"
    case offlineMarkingNotAfterOnlineWindow = "offline-marking-not-after-online-window"
    case claimTimeoutExceedsLongestChunk = "claim-timeout-exceeds-longest-chunk"
    case reaperPeriodSmallAgainstClaimTimeout = "reaper-period-small-against-claim-timeout"
    case singleReclaimer = "single-reclaimer"
    case fallbackBoundsAssignmentDelay = "fallback-bounds-assignment-delay"
    case debounceShort = "debounce-short"

    public static func < (a: ThresholdRule, b: ThresholdRule) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }

    /// Why the rule exists: what goes wrong in production when it is broken.
    public var reason: String {
        switch self {
        case .onlineWindowCoversHeartbeats:
            return "a node must survive one lost heartbeat: with a window under two heartbeat intervals plus the "
                + "network delay, one late or lost heartbeat makes a healthy node invisible to the scheduler"
        case .offlineMarkingNotBeforeOnlineWindow:
            return "the store would mark nodes offline that the scheduler still assigns work to"
        case .offlineMarkingNotAfterOnlineWindow:
            return "nodes would be shown online while the scheduler ignores them (today: 5 min against 30 s), "
                + "so users see idle online nodes beside waiting work"
        case .claimTimeoutExceedsLongestChunk:
            return "claims are not renewed while a chunk computes: a timeout under the longest legitimate chunk "
                + "reaps work that is still being done, which is then computed twice"
        case .reaperPeriodSmallAgainstClaimTimeout:
            return "a stale claim waits up to one reaper period beyond the timeout: a period over a quarter of the "
                + "timeout makes the timeout a poor bound on recovery"
        case .singleReclaimer:
            return "a second reclaimer with a shorter threshold than the claim timeout (today's 60 s sentinel reclaim "
                + "beside the 5-minute reaper) takes chunks from nodes that are alive and computing"
        case .fallbackBoundsAssignmentDelay:
            return "when notifications are lost the fallback pass is the only thing that assigns work: the fallback "
                + "period plus the debounce bounds the assignment delay"
        case .debounceShort:
            return "one job's chunks are inserted in one transaction and notify together: a debounce beyond a second "
                + "only delays every assignment"
        }
    }

    /// The longest debounce that `debounce-short` allows.
    public static let longestDebounce = Interval.seconds(1)
}

/// Facts about the deployment that the rules compare thresholds against.
public struct ThresholdAssumptions: Sendable, Equatable {
    /// The longest a chunk may legitimately compute (the fleet's LogNormal median 20 s, σ 0.5
    /// stays under 2 minutes with probability 1 − 10⁻⁷; slower hardware needs a larger value).
    public var longestChunk: Interval = .minutes(2)
    /// The longest a request may take from node to store, retries included.
    public var networkDelay: Interval = .seconds(5)
    /// The longest a pending chunk may wait for assignment when notifications are lost.
    public var maxAssignmentDelay: Interval = .seconds(60)

    public init() {}
}

/// One broken rule: which, why it matters, and the values that break it.
public struct RuleFailure: Sendable, Equatable, CustomStringConvertible {
    public var rule: ThresholdRule
    /// The values that break it, e.g. `SENTINEL_ONLINE_WINDOW=30s < 2 × NODE_HEARTBEAT_INTERVAL=15s + 5s`.
    public var detail: String

    public var description: String { "\(rule.rawValue): \(detail) — \(rule.reason)" }
}

extension Thresholds {
    /// Every rule this set breaks, in rule order (empty: all hold).
    public func ruleFailures(_ a: ThresholdAssumptions = ThresholdAssumptions()) -> [RuleFailure] {
        var out: [RuleFailure] = []
        func fail(_ r: ThresholdRule, _ detail: String) { out.append(RuleFailure(rule: r, detail: detail)) }
        func v(_ k: ThresholdKey) -> String { "\(k.variable)=\(text(k))" }
        let f = DurationText.format

        let needed = heartbeatInterval * 2 + a.networkDelay
        if onlineWindow < needed {
            fail(.onlineWindowCoversHeartbeats, "\(v(.onlineWindow)) < 2 × \(v(.heartbeatInterval)) + \(f(a.networkDelay)) network delay = \(f(needed))")
        }
        if offlineAfter < onlineWindow {
            fail(.offlineMarkingNotBeforeOnlineWindow, "\(v(.offlineAfter)) < \(v(.onlineWindow))")
        }
        if offlineAfter > onlineWindow {
            fail(.offlineMarkingNotAfterOnlineWindow, "\(v(.offlineAfter)) > \(v(.onlineWindow))")
        }
        let chunkBound = a.longestChunk + a.networkDelay
        if claimTimeout <= chunkBound {
            fail(.claimTimeoutExceedsLongestChunk, "\(v(.claimTimeout)) ≤ longest chunk \(f(a.longestChunk)) + \(f(a.networkDelay)) network delay")
        }
        if reaperPeriod * 4 > claimTimeout {
            fail(.reaperPeriodSmallAgainstClaimTimeout, "\(v(.reaperPeriod)) > \(v(.claimTimeout)) / 4")
        }
        if let r = sentinelReclaimAfter, r < claimTimeout {
            fail(.singleReclaimer, "\(v(.sentinelReclaimAfter)) < \(v(.claimTimeout)) (set it to off: the reaper is the one reclaimer)")
        }
        if fallbackPeriod + debounce > a.maxAssignmentDelay {
            fail(.fallbackBoundsAssignmentDelay, "\(v(.fallbackPeriod)) + \(v(.debounce)) > the \(f(a.maxAssignmentDelay)) assignment-delay budget")
        }
        if debounce > ThresholdRule.longestDebounce {
            fail(.debounceShort, "\(v(.debounce)) > \(f(ThresholdRule.longestDebounce))")
        }
        return out
    }
}
