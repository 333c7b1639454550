import Logging
import JobSystem

/// The production driver of the System's `PortalUser` for one submission: the same state
/// machine the simulation's users are, on the host clock. It submits the job (one
/// `job-create` with the config), polls it every `pollInterval` (2 s, as the portal's
/// `useJob` does) until it is seen completed, and reports each new reading.
///
/// As in `NodeRunner`, a request that got no answer at all is fed to the user as its timeout
/// at once; the user decides what that means (a poll is sent again, a submission step is
/// re-sent once, then given up).
public actor PortalRunner {
    public private(set) var user: PortalUser
    let transport: any APITransport
    let clock: any JobSystem.Clock
    let logger: Logger
    let onReading: @Sendable (JobRecord) -> Void
    var timers = TimerTable<PortalTimer>()
    var reported: JobObservation?
    var waiter: CheckedContinuation<JobRecord, Never>?

    public init(
        submission: JSONValue, iterations: Int, accessType: AccessType, discordServerID: String?,
        transport: any APITransport, clock: any JobSystem.Clock = SystemClock(), pollInterval: Interval = .seconds(2),
        requestTimeout: Interval = .seconds(30), logger: Logger, onReading: @escaping @Sendable (JobRecord) -> Void
    ) {
        // The server names the user from the request's credentials; the id here only fills the
        // in-process field of `APIRequest`, which the HTTP transport does not send.
        let settings = PortalUser.Settings(
            userID: UserID(Identifier(high: 0, low: 0)), profile: .fixed, pollInterval: pollInterval,
            requestTimeout: requestTimeout)
        let now = clock.now()
        user = PortalUser(
            settings: settings,
            submissions: [
                JobSubmission(
                    config: submission, iterations: iterations, accessType: accessType, discordServerID: discordServerID,
                    at: now)
            ])
        self.transport = transport
        self.clock = clock
        self.logger = logger
        self.onReading = onReading
    }

    /// Submits and follows the job until it is seen completed or the submission failed.
    public func run() async -> JobRecord {
        await withCheckedContinuation { continuation in
            waiter = continuation
            feed(.start)
        }
    }

    func feed(_ input: PortalUser.Input) {
        var effects: [PortalUser.Effect] = []
        user.handle(input, now: clock.now(), effects: &effects)
        for effect in effects { perform(effect) }
        let record = user.jobs[0]
        if let reading = record.lastObservation, reading != reported {
            reported = reading
            onReading(record)
        }
        if user.isDone, let waiter {
            self.waiter = nil
            timers.cancelAll()
            waiter.resume(returning: record)
        }
    }

    func perform(_ effect: PortalUser.Effect) {
        switch effect {
        case .send(let requestID, let request):
            let transport = transport
            Task {
                do {
                    let response = try await transport.send(request)
                    self.feed(.response(requestID: requestID, response))
                } catch {
                    self.lost(requestID, request, error)
                }
            }
        case .setTimer(let timer, let after):
            timers.arm(timer, after: after) { token in await self.fire(timer, token: token) }
        case .cancelTimer(let timer):
            timers.disarm(timer)
        }
    }

    func fire(_ timer: PortalTimer, token: UInt64) {
        guard timers.take(timer, token: token) else { return }
        feed(.timer(timer))
    }

    func lost(_ requestID: UInt64, _ request: APIRequest, _ error: any Error) {
        guard timers.isArmed(.requestTimeout(requestID)) else { return }
        logger.warning("\(request.method) \(request.path): no answer (\(error))")
        timers.disarm(.requestTimeout(requestID))
        feed(.timer(.requestTimeout(requestID)))
    }
}
