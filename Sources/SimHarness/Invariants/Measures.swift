import Histogram
import System

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
    /// Finished computations whose result the store did not take (stale, duplicate, lost).
    public var wastedComputations = 0
    /// Chunks each sentinel's applies assigned, by sentinel index.
    public var assignmentsBySentinel: [Int] = []
    /// Planned assignments a guarded apply refused (another client changed the row or the node).
    public var guardedSkips = 0
    public var reclaimedByReaper = 0
    public var reclaimedBySentinel = 0
    /// Reclaims (by either reclaimer) of a chunk whose node was up, not hung, and still working
    /// on it (queued, computing, reporting): work taken from a healthy node (threshold tuning).
    public var falseReclaims = 0
    /// Heartbeat requests that reached the store (threshold tuning's heartbeat load).
    public var heartbeatRequests = 0
    public var notificationsDropped = 0
    public var assignmentsToUnsubscribed = 0
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
    /// Faults injected, with their times (for reports).
    public var faults: [(seconds: Double, what: String)] = []

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
