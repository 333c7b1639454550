/// A portal user (the seeds' `SimulateWizard` + `useSubmitJob` + `useJob`) as a state machine:
/// inputs in, effects out, no I/O, the shape of `Sentinel` and `NodeAgent`.
///
/// Each submission is sent when due: with the fixed profile one `job-create` carrying the
/// config (the merged RPC); with `racyConfigUpsert` today's two calls, `config-upsert` then
/// `job-create` with the returned hash. A created job is polled at once and then every
/// `pollInterval` (2 s, `refetchInterval`) until the user sees it completed. Everything seen is
/// recorded per submission (`jobs`) for the harness's invariants: outcomes with reasons,
/// readings, anomalies such as progress going backwards or a completion without a result.
///
/// Lost requests: a poll that times out is sent again at once. A submission step that times out
/// is re-sent once with the same content, then given up as lost. See
/// `JobRecord.resentAfterLoss` for why that re-send can create a duplicate job.
public struct PortalUser: Sendable {
    public enum Input: Sendable, Equatable {
        /// The user opens the portal: submissions are scheduled from here.
        case start
        case timer(PortalTimer)
        case response(requestID: UInt64, APIResponse)
    }

    public enum Effect: Sendable, Equatable {
        case send(requestID: UInt64, APIRequest)
        case setTimer(PortalTimer, after: Interval)
        case cancelTimer(PortalTimer)
    }

    public struct Settings: Sendable, Equatable {
        public var userID: UserID
        /// Today's two-call submission (`Defect.racyConfigUpsert`).
        public var racyConfigUpsert: Bool
        public var pollInterval: Interval
        public var requestTimeout: Interval

        public init(
            userID: UserID, profile: Profile, pollInterval: Interval = .seconds(2), requestTimeout: Interval = .seconds(10)
        ) {
            self.userID = userID
            self.racyConfigUpsert = profile.has(.racyConfigUpsert)
            self.pollInterval = pollInterval
            self.requestTimeout = requestTimeout
        }
    }

    /// A request out, and what it is for.
    enum Pending: Sendable, Equatable {
        case upsert(Int)
        case create(Int)
        case poll(Int)

        var isPoll: Bool { if case .poll = self { return true } else { return false } }
        var index: Int {
            switch self {
            case .upsert(let i), .create(let i), .poll(let i): return i
            }
        }
        /// The submission step's route (polls have none that is re-sent).
        var step: String {
            switch self {
            case .upsert: return "/config-upsert"
            case .create: return "/job-create"
            case .poll: return "/jobs"
            }
        }
    }

    public let settings: Settings
    /// One record per submission, in the order given.
    public internal(set) var jobs: [JobRecord]
    /// Submission indices by due time (stable for equal times).
    let dueOrder: [Int]
    var nextDue = 0
    var started = false
    var nextRequestID: UInt64 = 1
    var outstanding: [UInt64: Pending] = [:]
    /// Per submission: steps already re-sent once after a loss.
    var resentSteps: [Int: Set<String>] = [:]

    public init(settings: Settings, submissions: [JobSubmission]) {
        self.settings = settings
        jobs = submissions.map(JobRecord.init(submission:))
        dueOrder = submissions.indices.sorted { (submissions[$0].at, $0) < (submissions[$1].at, $1) }
    }

    /// Every anomaly seen, in the order seen: append-only, so a driver can report new ones by
    /// count. Each record also keeps its own.
    public internal(set) var anomalies: [PortalAnomaly] = []
    /// Every submission that failed, in the order they failed (append-only, like `anomalies`).
    public internal(set) var submissionFailures: [SubmissionFailure] = []
    /// Whether every submission is settled: failed, or created and seen completed.
    public var isDone: Bool {
        nextDue == dueOrder.count
            && jobs.allSatisfy { record in
                switch record.outcome {
                case .failed: return true
                case .created: return record.completedAt != nil
                case .notYetSubmitted, .inProgress: return false
                }
            }
    }

    public mutating func handle(_ input: Input, now: Timestamp, effects: inout [Effect]) {
        switch input {
        case .start:
            guard !started else { return }
            started = true
            armSubmit(now: now, &effects)
        case .timer(.submit):
            submitDue(now: now, &effects)
        case .timer(.poll(let index)):
            poll(index, now: now, &effects)
        case .timer(.requestTimeout(let requestID)):
            guard let pending = outstanding.removeValue(forKey: requestID) else { return }
            lost(pending, now: now, &effects)
        case .response(let requestID, let response):
            guard let pending = outstanding[requestID] else { return }
            if case .transient = ResponseClass(response), !pending.isPoll, !resentSteps[pending.index, default: []].contains(pending.step) {
                // A 5xx or 429 on a submission step (the store failed; something may have
                // committed, the client cannot tell) is a lost answer: the step is re-sent
                // when its timeout fires, as after a loss.
                return
            }
            outstanding[requestID] = nil
            effects.append(.cancelTimer(.requestTimeout(requestID)))
            answered(pending, response, now: now, &effects)
        }
    }

    mutating func send(_ pending: Pending, _ request: APIRequest, _ effects: inout [Effect]) {
        let id = nextRequestID
        nextRequestID += 1
        outstanding[id] = pending
        effects.append(.send(requestID: id, request))
        effects.append(.setTimer(.requestTimeout(id), after: settings.requestTimeout))
    }

    mutating func answered(_ pending: Pending, _ response: APIResponse, now: Timestamp, _ effects: inout [Effect]) {
        switch pending {
        case .upsert(let index): upserted(index, response, now: now, &effects)
        case .create(let index): created(index, response, now: now, &effects)
        case .poll(let index): polled(index, response, now: now, &effects)
        }
    }

    mutating func lost(_ pending: Pending, now: Timestamp, _ effects: inout [Effect]) {
        switch pending {
        case .upsert(let index): stepLost(index, step: "/config-upsert", now: now, &effects)
        case .create(let index): stepLost(index, step: "/job-create", now: now, &effects)
        case .poll(let index):
            jobs[index].pollTimeouts += 1
            poll(index, now: now, &effects)
        }
    }
}
