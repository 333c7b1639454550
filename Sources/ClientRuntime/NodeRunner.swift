import Logging
import JobSystem

/// The production driver of the System's `NodeAgent`: the same state machine the simulator
/// runs, fed from the real world. It holds no node logic of its own; it only performs the
/// agent's effects and turns what happens back into the agent's inputs:
///
/// | effect | performed as | answered by |
/// |---|---|---|
/// | `send` | the transport (HTTP) | `.response`, or `.timer(.requestTimeout)` at once if the request got no answer at all |
/// | `setTimer` / `cancelTimer` | a sleeping task per timer, replaced when re-armed | `.timer` |
/// | `startCompute` | the DPS model on a `WorkerPool` thread | `.computeFinished` |
/// | `openChannel` / `closeChannel` | the `ChannelTransport` (a WebSocket) | `.channel`, `.channelClosed` |
/// | `persist` | `SeedFile.save` (atomic rewrite, mode 0600) | — |
///
/// Inputs are handled one at a time (this is an actor), stamped with the host clock. A timer
/// that was replaced or cancelled after its sleep ended is recognised by its token and
/// dropped, so the agent never sees a timer it no longer has.
public actor NodeRunner {
    public private(set) var agent: NodeAgent
    let transport: any APITransport
    let channel: (any ChannelTransport)?
    let pool: WorkerPool
    let clock: any JobSystem.Clock
    let seedFile: SeedFile?
    let logger: Logger
    let onEvent: @Sendable (NodeEvent) -> Void

    var timers = TimerTable<NodeTimer>()
    var stopped = false
    /// What the events last reported, to report changes only.
    var reportedCode: String?
    var reportedClaimed: Bool?
    /// When each running computation started (host clock), for the log.
    var computeStarted: [ChunkID: Timestamp] = [:]
    /// The assignment channel's connection, and its generation (see `NodeRunner+Channel`).
    var channelTask: Task<Void, Never>?
    var channelGeneration: UInt64 = 0
    /// `METHOD /path` of each request awaiting its answer, for the log.
    var inFlight: [UInt64: String] = [:]
    /// The list the agent appends an input's effects to, kept for the runner's life so that an
    /// input allocates no list of its own (`feed` takes it for the time of one input, and gives
    /// it back empty with its storage).
    var effects = NodeAgent.EffectList()

    public init(
        agent: NodeAgent, transport: any APITransport, channel: (any ChannelTransport)?, pool: WorkerPool,
        clock: any JobSystem.Clock = SystemClock(), seedFile: SeedFile?, logger: Logger,
        onEvent: @escaping @Sendable (NodeEvent) -> Void = { _ in }
    ) {
        self.agent = agent
        self.transport = transport
        self.channel = channel
        self.pool = pool
        self.clock = clock
        self.seedFile = seedFile
        self.logger = logger
        self.onEvent = onEvent
    }

    /// Boots the agent: it registers (or heartbeats, if it already has a node id).
    public func start() {
        feed(.boot)
    }

    /// Stops feeding the agent and cancels every timer and the subscription. Computations
    /// already on a worker thread finish, and their results are dropped: the server reaps
    /// their claims as it would a crashed node's.
    public func stop() {
        stopped = true
        timers.cancelAll()
        closeChannel()
    }

    /// One input, its effects performed in order.
    ///
    /// The runner's list is taken out for the loop (an empty one, which holds no storage, left
    /// in its place) and given back after it. `perform` may feed the agent again before the
    /// loop ends (an open without a channel is reported closed at once): that input finds the
    /// empty placeholder, so its effects go to a list of its own and are performed there and
    /// then, before the rest of this input's, as they always were; neither list sees the
    /// other's effects.
    public func feed(_ input: NodeAgent.Input) {
        guard !stopped else { return }
        var list = NodeAgent.EffectList()
        swap(&list, &effects)
        agent.handle(input, now: clock.now(), effects: &list)
        list.drain { perform($0) }
        swap(&list, &effects)
        observe()
    }

    func perform(_ effect: NodeAgent.Effect) {
        switch effect {
        case .send(let requestID, let request):
            inFlight[requestID] = "\(request.method) \(request.path)"
            let transport = transport
            Task {
                do {
                    let response = try await transport.send(request)
                    self.answered(requestID, response)
                } catch {
                    self.lost(requestID, request, error)
                }
            }
        case .setTimer(let timer, let after):
            arm(timer, after: after)
        case .cancelTimer(let timer):
            disarm(timer)
        case .startCompute(let order):
            compute(order)
        case .openChannel(let request):
            openChannel(request)
        case .closeChannel:
            closeChannel()
        case .persist(let durable):
            guard let seedFile else { return }
            do { try seedFile.save(durable) } catch {
                // The node goes on: what it would lose is its incarnation count or a node id
                // the server gives back on the next registration (same key, same node).
                logger.error("could not save the node's state: \(error)")
            }
        }
    }

    func answered(_ requestID: UInt64, _ response: APIResponse) {
        if let what = inFlight.removeValue(forKey: requestID), !(200..<300).contains(response.status) {
            let code = response.json?["error"]?.stringValue ?? "-"
            let message = response.json?["message"]?.stringValue ?? ""
            if what.hasSuffix("/node-heartbeat"), response.status == 403 {
                // Expected until the owner claims the node.
                logger.debug("\(what): \(response.status) \(code): \(message)")
            } else {
                logger.warning("\(what): \(response.status) \(code): \(message)")
            }
        }
        feed(.response(requestID: requestID, response))
    }

    /// No answer at all: the request is lost now rather than at its timeout. Only if the agent
    /// still waits for it (its timeout timer is armed).
    func lost(_ requestID: UInt64, _ request: APIRequest, _ error: any Error) {
        guard timers.isArmed(.requestTimeout(requestID)) else { return }
        inFlight[requestID] = nil
        logger.warning("\(request.method) \(request.path): no answer (\(error))")
        disarm(.requestTimeout(requestID))
        feed(.timer(.requestTimeout(requestID)))
    }

    func arm(_ timer: NodeTimer, after: Interval) {
        timers.arm(timer, after: after) { token in await self.fire(timer, token: token) }
    }

    func disarm(_ timer: NodeTimer) {
        timers.disarm(timer)
    }

    func fire(_ timer: NodeTimer, token: UInt64) {
        guard timers.take(timer, token: token) else { return }
        if case .requestTimeout(let id) = timer, let what = inFlight.removeValue(forKey: id) {
            logger.warning("\(what): no answer within \(agent.settings.requestTimeout.seconds) s")
        }
        feed(.timer(timer))
    }

    /// Runs the chunk on a worker thread. The agent validated the config and rotation when it
    /// fetched them; a chunk the model still refuses (or one without iterations, which no
    /// correct server sends) is logged and left unreported, so the server reaps its claim.
    func compute(_ order: NodeAgent.ComputeOrder) {
        let assignment = order.assignment
        guard assignment.iterations > 0 else {
            logger.error("chunk \(assignment.chunkID) has \(assignment.iterations) iterations: not computed")
            return
        }
        computeStarted[assignment.chunkID] = clock.now()
        logger.info(
            "computing chunk \(assignment.chunkID) attempt \(assignment.attempt) of job \(assignment.jobID): \(assignment.iterations) iterations from seed offset \(assignment.seedOffset)")
        pool.submit {
            do {
                let result = try DPSModel.simulate(
                    config: order.config, rotation: order.rotation, seedOffset: assignment.seedOffset,
                    iterations: assignment.iterations)
                Task { await self.computed(assignment, result) }
            } catch {
                Task { await self.computeFailed(assignment, error) }
            }
        }
    }

    func computed(_ assignment: ChunkAssignment, _ result: ChunkResult) {
        if let started = computeStarted.removeValue(forKey: assignment.chunkID) {
            let seconds = (clock.now() - started).seconds
            logger.info("computed chunk \(assignment.chunkID) in \(Self.format(seconds)) s: mean \(Self.format(result.meanDPS)) DPS")
        }
        feed(.computeFinished(chunkID: assignment.chunkID, attempt: assignment.attempt, result: result))
    }

    func computeFailed(_ assignment: ChunkAssignment, _ error: any Error) {
        computeStarted[assignment.chunkID] = nil
        logger.error("chunk \(assignment.chunkID): the model refused its config: \(error)")
    }

    /// Reports what changed that the operator should see: the claim code once the server has
    /// said whether the node is claimed (the registration's answer, or after a restart the
    /// first heartbeat's), and the claim when a heartbeat is first accepted.
    func observe() {
        guard let code = agent.durable.claimCode, let claimed = agent.isClaimed else { return }
        if code != reportedCode {
            onEvent(.claimCode(code, claimed: claimed))
            reportedCode = code
        }
        if claimed, reportedClaimed != true { onEvent(.claimed) }
        reportedClaimed = claimed
    }

    static func format(_ value: Double) -> String {
        let scaled = (value * 100).rounded() / 100
        return String(scaled)
    }
}

/// What a node tells its operator.
public enum NodeEvent: Sendable, Equatable {
    /// The code to claim the node with in the portal, and whether it is claimed.
    case claimCode(String, claimed: Bool)
    /// A heartbeat was accepted: the node is claimed and receives work.
    case claimed
}
