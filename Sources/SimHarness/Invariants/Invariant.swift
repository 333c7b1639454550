import Engine
import JobSystem

/// The named properties a run must keep. Each defect of today's system breaks at least one of
/// them in a scenario built to show it; the fixed profile breaks none.
public enum Invariant: String, Sendable, CaseIterable, Codable, Comparable {
    // Safety
    /// Every status change follows the status machines (Domain/Statuses.swift).
    case legalTransitions = "legal-transitions"
    /// A chunk is assigned only while pending: never to a second node while a claim is live.
    case singleAssignee = "single-assignee"
    /// `completed_iterations` equals the iterations of the job's completed chunks and never
    /// exceeds the total.
    case progressAccounting = "progress-accounting"
    /// A completed job's result is the aggregate of its chunk results and equals the
    /// all-at-once statistics.
    case resultAggregation = "result-aggregation"
    /// Assignments go to eligible nodes, online by the profile's window, within capacity.
    case eligibleAssignment = "eligible-assignment"
    /// Progress seen by the portal never goes backwards.
    case monotonicProgress = "monotonic-progress"
    /// With signing on, no unsigned, forged or replayed request is accepted.
    case authenticatedRequests = "authenticated-requests"
    /// A running chunk is taken back only once its claim is older than the claim timeout.
    case reclaimAfterTimeout = "reclaim-after-timeout"
    /// A running chunk whose node is alive (seen within the online window) is not taken back
    /// before `liveClaimLimit`: a slow chunk on a live node is left to finish, not computed
    /// twice.
    case liveClaimsKept = "live-claims-kept"
    /// The store's API gets no more requests in any one second than the scenario's bound (a
    /// fleet reconnecting at once must spread itself out: jitter and backoff).
    case storeLoadBounded = "store-load-bounded"
    /// After a scenario's outage ends, every chunk that was waiting then is assigned within the
    /// scenario's bound (for the sentinel: one fallback period, whatever it missed meanwhile).
    case recoveredInTime = "recovered-in-time"
    /// A node the store shows online is one the scheduler considers online (up to one marking
    /// period).
    case onlineAgreement = "online-agreement"
    /// Every chunk that becomes pending is notified on `pending_chunk` at commit.
    case pendingNotified = "pending-notified"
    /// Every valid submission from the portal creates its job.
    case submissionAccepted = "submission-accepted"
    /// The store's derived state (running counts, queues, counters) matches its rows.
    case storeConsistency = "store-consistency"
    /// No node the store heard a heartbeat from within the offline-marking age is marked
    /// offline (a heartbeat that does not count, or a marking that uses the wrong cutoff), and
    /// no snapshot offers the sentinel a node silent for longer than its online window.
    case heartbeatingNodesOnline = "heartbeating-nodes-online"
    /// Each planned assignment goes to an eligible node with the most free slots in the
    /// sentinel's snapshot (counting the plan's earlier rows), ties to the lowest id; a chunk
    /// whose claim was reaped may avoid its last node; no chunk is left out while an eligible
    /// node has a free slot. Checked from the snapshot and the plan alone, without the
    /// planner's code.
    case mostFreeSlots = "most-free-slots"
    // Measure-based expectations (`Expectations`), checked where a scenario sets them
    /// Assignment delay p99 within the scenario's bound.
    case promptAssignment = "prompt-assignment"
    /// No duplicate execution, wasted computation or honest completion refused.
    case noDuplicateWork = "no-duplicate-work"
    /// The guarded apply skipped nothing planned.
    case noSkippedAssignment = "no-skipped-assignment"
    /// The guild filters' observed false-positive rate within the bound.
    case filterFalsePositives = "filter-false-positives"
    /// Reaped claims taken back within the bound after the claim timeout.
    case reapedInTime = "reaped-in-time"
    // Liveness
    /// Once faults heal, every job completes within the bound the scenario derives from the
    /// profile's thresholds.
    case jobsComplete = "jobs-complete"

    public static func < (a: Invariant, b: Invariant) -> Bool { a.rawValue < b.rawValue }
}

/// A broken invariant: which, when, what, and the events that led to it.
public struct Violation: Sendable, Equatable, CustomStringConvertible {
    public var invariant: Invariant
    public var time: SimInstant
    public var message: String
    /// The last events before the violation, oldest first, as trace lines.
    public var recentEvents: [String]

    public var description: String {
        "\(invariant.rawValue) at \(time): \(message)"
    }
}
