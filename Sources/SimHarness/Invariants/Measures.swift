import Histogram
import JobSystem

/// What a run measured beside its invariants: latencies as HDR histograms (in milliseconds),
/// and counters of waste and faults.
public struct Measures: Sendable {
    /// Submission (job row created) to completion.
    public var jobLatencyMs = Histogram<UInt64>(highestTrackableValue: 86_400_000 * 30, numberOfSignificantValueDigits: .three)
    /// A chunk becoming pending to its assignment.
    public var assignmentDelayMs = Histogram<UInt64>(highestTrackableValue: 86_400_000 * 30, numberOfSignificantValueDigits: .three)
    public var jobsCompleted = 0
    public var chunksCompleted = 0
    /// Chunk computations started by nodes.
    public var computations = 0
    /// Computations of a chunk beyond its first.
    public var duplicateExecutions = 0
    /// Finished computations of a chunk beyond its first: work done again that the store did
    /// not need (a result refused as stale, or the same result a second time).
    public var wastedComputations = 0
    /// Chunks each sentinel's applies assigned, by sentinel index.
    public var assignmentsBySentinel: [Int] = []
    /// Planned assignments a guarded apply refused (another client changed the row or the node).
    public var guardedSkips = 0
    /// Of those, the rows whose node's capacity alone refused them (the chunk still pending,
    /// the node online): a scenario where this stays zero cannot tell a guard without its
    /// capacity check from the real one (`sentinels-out-of-step` is built to make it positive).
    public var guardedCapacitySkips = 0
    public var reclaimedByReaper = 0
    public var reclaimedBySentinel = 0
    /// Reclaims (by either reclaimer) of a chunk whose node was up, not hung, and still working
    /// on it (queued, computing, reporting): work taken from a healthy node (threshold tuning).
    public var falseReclaims = 0
    /// Heartbeat requests that reached the store (threshold tuning's heartbeat load).
    public var heartbeatRequests = 0
    /// The longest a reaped claim outlived the claim timeout, in seconds: how late the reaper
    /// was (its period, or longer for a live node it left alone until the node fell silent).
    public var reapDelayMaxSeconds = 0.0
    public var notificationsDropped = 0
    /// Notifications committed while no sentinel was listening (a lost connection): lost too.
    public var notificationsUnheard = 0
    /// The most API requests the store received in one second of virtual time.
    public var apiPeakPerSecond = 0
    /// From the scenario's recovery instant (`RunPlan.recoveryAt`) until every chunk pending at
    /// that instant has been assigned (nil: never, or no recovery instant).
    public var fullAssignmentSeconds: Double? = nil
    public var assignmentsToUnsubscribed = 0
    /// The API server (World+APIServer.swift): requests it lost in a crash (the client got no
    /// answer), transactions rolled back by a lost database connection (answered 503), and
    /// assignment channels it dropped (partitions, restarts); chunks nodes learnt of from the
    /// channel's `subscribed` list after resubscribing.
    public var apiRequestsLostInCrash = 0
    public var transactionsRolledBack = 0
    public var channelsDropped = 0
    public var heldChunksRecovered = 0
    public var apiRequests = 0
    public var apiRejections: [String: Int] = [:]
    public var storeErrors = 0
    /// Node-seconds (sampled once per offline-marking period) in which a node looked online
    /// in the store but was outside the scheduler's window while chunks were pending.
    public var onlineButIdleNodeSeconds: Int64 = 0
    public var bloomFalsePositiveAssignments = 0
    /// Non-members probed against the sentinel's guild filters at the end of the run, and how
    /// many the filters admitted: the observed false-positive rate of discord eligibility, to
    /// compare with the filters' design rate p = 0.001.
    public var guildFilterProbes = 0
    public var guildFilterFalsePositives = 0
    /// Portal submissions abandoned after their requests were lost (no server answer).
    public var submissionsLost = 0
    public var unreadableJobs = 0
    /// Attacks that found nothing to attack (no running chunk, no captured request).
    public var attacksWithoutTarget = 0
    /// Every fault and control action that took effect, in order, with its time: what the
    /// report's bands are drawn from.
    public var faults: [AppliedFault] = []

    public init() {}

    public var jobLatencyP50: Double { Double(jobLatencyMs.valueAtPercentile(50)) / 1000 }
    public var jobLatencyP99: Double { Double(jobLatencyMs.valueAtPercentile(99)) / 1000 }
    public var assignmentDelayP50: Double { Double(assignmentDelayMs.valueAtPercentile(50)) / 1000 }
    public var assignmentDelayP99: Double { Double(assignmentDelayMs.valueAtPercentile(99)) / 1000 }

    /// Observed false-positive rate of the guild filters (0 when nothing was probed).
    public var guildFilterFalsePositiveRate: Double {
        guildFilterProbes == 0 ? 0 : Double(guildFilterFalsePositives) / Double(guildFilterProbes)
    }

    /// Rejections sorted by code, for stable printing.
    public var sortedRejections: [(String, Int)] { apiRejections.sorted { $0.key < $1.key } }
}

/// A fault (or workload action) as it happened: when, what, to whom.
public struct AppliedFault: Sendable, Equatable {
    public var seconds: Double
    public var action: ControlAction
    public var target: Target

    public init(seconds: Double, action: ControlAction, target: Target) {
        self.seconds = seconds
        self.action = action
        self.target = target
    }
}
