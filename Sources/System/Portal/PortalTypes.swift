/// The portal user's vocabulary: what they submit, their timers, and what they saw.

/// One simulation a user submits (the wizard's final step).
public struct JobSubmission: Sendable, Equatable {
    public var config: JSONValue
    public var iterations: Int
    public var accessType: AccessType
    public var discordServerID: String?
    /// When the user presses "simulate" (on the user's clock).
    public var at: Timestamp

    public init(config: JSONValue, iterations: Int, accessType: AccessType, discordServerID: String? = nil, at: Timestamp) {
        self.config = config
        self.iterations = iterations
        self.accessType = accessType
        self.discordServerID = discordServerID
        self.at = at
    }
}

/// The portal user's timers. Setting a timer that is already set re-arms it (replaces it).
public enum PortalTimer: Hashable, Sendable {
    /// The next submission is due.
    case submit
    /// Poll the job of the submission with this index.
    case poll(Int)
    /// The request with this id has not been answered in time.
    case requestTimeout(UInt64)
}

/// How a submission went.
public enum SubmissionOutcome: Sendable, Equatable {
    case notYetSubmitted
    case inProgress
    case created(JobID, chunks: Int)
    case failed(SubmissionFailure)
}

/// A submission the server refused or never answered.
public struct SubmissionFailure: Sendable, Equatable, CustomStringConvertible {
    /// The submission's index in the user's list.
    public var index: Int
    /// `/config-upsert` or `/job-create`.
    public var step: String
    /// The refusal's status; nil when the request was lost twice (no answer at all).
    public var status: Int?
    /// `status code: message`, or why nothing came back.
    public var reason: String
    /// The refusal's code (the body's `error`), as it came over the wire; nil when there was
    /// no answer or the body had none.
    public var code: String?

    public var description: String { "submission \(index) failed at \(step): \(reason)" }
}

/// One reading of `GET /jobs/{id}`.
public struct JobObservation: Sendable, Equatable {
    public var at: Timestamp
    public var status: JobStatus
    public var completedIterations: Int
    public var totalIterations: Int
    public var hasResult: Bool
}

/// Something the user saw that a correct system never shows.
public enum PortalAnomaly: Sendable, Equatable, CustomStringConvertible {
    /// `completedIterations` smaller than an earlier reading.
    case progressWentBackwards(index: Int, from: Int, to: Int, at: Timestamp)
    /// Status earlier in `pending → running → completed` than an earlier reading.
    case statusWentBackwards(index: Int, from: JobStatus, to: JobStatus, at: Timestamp)
    /// `completed` with `result: null` (the seeds' bug 1: the user sees no DPS).
    case completedWithoutResult(index: Int, at: Timestamp)
    /// `completed` with `completedIterations != totalIterations` (the seeds' bug 2).
    case completedWithIncompleteProgress(index: Int, completed: Int, total: Int, at: Timestamp)
    /// A 2xx answer whose body is not a job row the portal can read.
    case unreadableJob(index: Int, reason: String, at: Timestamp)

    /// The submission it concerns.
    public var index: Int {
        switch self {
        case .progressWentBackwards(let i, _, _, _), .statusWentBackwards(let i, _, _, _), .completedWithoutResult(let i, _),
            .completedWithIncompleteProgress(let i, _, _, _), .unreadableJob(let i, _, _):
            return i
        }
    }

    public var description: String {
        switch self {
        case .progressWentBackwards(let i, let from, let to, let at):
            return "job \(i): progress went back from \(from) to \(to) at \(at)"
        case .statusWentBackwards(let i, let from, let to, let at):
            return "job \(i): status went back from \(from.rawValue) to \(to.rawValue) at \(at)"
        case .completedWithoutResult(let i, let at): return "job \(i): completed without a result at \(at)"
        case .completedWithIncompleteProgress(let i, let completed, let total, let at):
            return "job \(i): completed with \(completed) of \(total) iterations counted at \(at)"
        case .unreadableJob(let i, let reason, let at): return "job \(i): unreadable job row at \(at): \(reason)"
        }
    }
}

/// Everything the user did and saw for one submission.
public struct JobRecord: Sendable, Equatable {
    public let submission: JobSubmission
    public internal(set) var outcome: SubmissionOutcome = .notYetSubmitted
    /// When the first request of the submission went out.
    public internal(set) var submittedAt: Timestamp?
    /// When the job-create answer arrived.
    public internal(set) var createdAt: Timestamp?
    /// The hash `config-upsert` answered (racy flow only).
    public internal(set) var configHash: ConfigHash?
    /// A submission step was re-sent after its request got no answer. Harmless for
    /// `config-upsert` (same hash, same row), but if a lost `job-create` did reach the server,
    /// the re-send creates a *second* job with the same content: job-create is not idempotent
    /// (no client request id), so the user may own an extra job nobody polls.
    public internal(set) var resentAfterLoss = false
    /// Readings that differed from the previous one (status, progress or result presence);
    /// unchanged readings are only counted in `polls`.
    public internal(set) var observations: [JobObservation] = []
    public internal(set) var polls = 0
    public internal(set) var pollFailures = 0
    public internal(set) var pollTimeouts = 0
    /// When the user first saw the job completed; polling stops there, as `useJob` does.
    public internal(set) var completedAt: Timestamp?
    /// The job's `result` as last read (nil while absent).
    public internal(set) var result: JSONValue?
    public internal(set) var anomalies: [PortalAnomaly] = []

    init(submission: JobSubmission) { self.submission = submission }

    public var jobID: JobID? {
        if case .created(let id, _) = outcome { return id }
        return nil
    }

    /// The latest reading, if any.
    public var lastObservation: JobObservation? { observations.last }
}
