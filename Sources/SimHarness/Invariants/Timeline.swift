import Engine
import JobSystem

/// The state of a run sampled at a fixed virtual period, for the report's charts.
///
/// Sampling reads only O(1) counters of the store and the observer's histogram: it draws no
/// randomness and schedules nothing, so a run with a timeline is the same run (same digest)
/// as one without. A sample at instant `T` shows the state after every event earlier than
/// `T` (the state is constant between events, so it is taken just before the first event at
/// or after `T` is delivered).
public struct Timeline: Sendable {
    public struct Sample: Sendable, Equatable {
        /// Virtual seconds since the start of the run.
        public var seconds: Double
        public var pendingChunks: Int
        public var runningChunks: Int
        /// Store rows with status online (what the store shows, not what the scheduler uses).
        public var onlineNodes: Int
        public var completedJobs: Int
        public var jobs: Int
        /// Median assignment delay of every assignment so far, in seconds (nil before the first).
        public var assignmentDelayP50: Double?
        /// Mean delay of the assignments made since the previous sample, in seconds (nil if none):
        /// the cumulative median hides a late stall, this shows it.
        public var assignmentDelayRecent: Double?

        public init(
            seconds: Double, pendingChunks: Int, runningChunks: Int, onlineNodes: Int, completedJobs: Int, jobs: Int,
            assignmentDelayP50: Double? = nil, assignmentDelayRecent: Double? = nil
        ) {
            self.seconds = seconds
            self.pendingChunks = pendingChunks
            self.runningChunks = runningChunks
            self.onlineNodes = onlineNodes
            self.completedJobs = completedJobs
            self.jobs = jobs
            self.assignmentDelayP50 = assignmentDelayP50
            self.assignmentDelayRecent = assignmentDelayRecent
        }
    }

    public let period: SimDuration
    public private(set) var samples: [Sample] = []
    /// The next instant a sample is due at; the run loop compares against it on every event.
    public private(set) var nextDue: SimInstant = .zero
    /// Assignments counted and their summed delay (ms) at the previous sample.
    var lastAssignments: UInt64 = 0
    var lastDelaySumMs: Double = 0

    public init(period: SimDuration = .seconds(Int64(5))) {
        precondition(period > .zero, "a timeline needs a positive period")
        self.period = period
    }

    /// Appends one sample at `instant` from the given counters and the assignment histogram.
    public mutating func record(
        at instant: SimInstant, pending: Int, running: Int, online: Int, completed: Int, jobs: Int,
        measures: borrowing Measures
    ) {
        let h = measures.assignmentDelayMs
        let n = h.totalCount
        var sample = Sample(
            seconds: instant.seconds, pendingChunks: pending, runningChunks: running, onlineNodes: online,
            completedJobs: completed, jobs: jobs)
        if n > 0 {
            sample.assignmentDelayP50 = measures.assignmentDelayP50
            // The histogram keeps no sum; mean × count recovers it (to its precision).
            let sum = h.mean * Double(n)
            if n > lastAssignments {
                sample.assignmentDelayRecent = Swift.max(0, (sum - lastDelaySumMs) / Double(n - lastAssignments) / 1000)
            }
            lastAssignments = n
            lastDelaySumMs = sum
        }
        samples.append(sample)
        nextDue = instant + period
    }
}

extension World {
    /// Called by the run loop before each event at `t` is delivered: records the samples due
    /// up to `t`. One comparison when none is due.
    @inline(__always)
    mutating func sampleTimeline(before t: SimInstant) {
        if let due = timeline?.nextDue, due <= t { takeTimelineSamples(through: t) }
    }

    /// Called once when the run stops at `t`: the samples still due, then one at `t` itself
    /// (the end rarely falls on a period instant), so the last sample is the final state.
    mutating func finishTimeline(at t: SimInstant) {
        guard timeline != nil else { return }
        takeTimelineSamples(through: t)
        if let last = timeline?.samples.last, last.seconds < t.seconds { takeTimelineSamples(through: t, once: true) }
    }

    /// Records one sample per period instant up to `t`, all with the current state (it has
    /// not changed since the last event); `once`: a single sample at `t`.
    mutating func takeTimelineSamples(through t: SimInstant, once: Bool = false) {
        let pending = store.pendingChunkCount()
        let running = store.chunkCount(.running)
        let online = store.nodeCount(.online)
        let completed = store.jobCount(.completed)
        let jobs = store.allJobs.count
        if once {
            timeline?.record(
                at: t, pending: pending, running: running, online: online, completed: completed, jobs: jobs,
                measures: observer.measures)
            return
        }
        while let due = timeline?.nextDue, due <= t {
            timeline?.record(
                at: due, pending: pending, running: running, online: online, completed: completed, jobs: jobs,
                measures: observer.measures)
        }
    }
}
