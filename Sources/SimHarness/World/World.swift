import Engine
import JobSystem

/// A simulated deployment of the whole system: the store (PostgreSQL with its edge functions,
/// pg_cron and realtime feed), one or more sentinels, a fleet of nodes and portal users, all
/// actors of one deterministic `Simulation`. Each role runs the System's own code (handlers,
/// `Sentinel`, `NodeAgent`, `PortalUser`); this type only carries their messages and timers,
/// and injects the faults a scenario asks for.
///
/// A struct mutated in place: the whole world is one value, the run loop one `mutating` method.
public struct World {
    public enum Role: Sendable, Equatable {
        case environment
        case console
        case store
        case apiServer
        case sentinel(Int)
        case node(Int)
        case portal(Int)
    }

    public let config: WorldConfig
    public var sim: Simulation<WorldEvent>
    public var store: EmbeddedStore
    let handlers: RequestHandlers
    /// Rollout option B: today's handlers kept beside ours for today's unsigned nodes.
    let todaysHandlers: RequestHandlers?
    let scheme: any SignatureScheme
    let hasher = SodiumSHA256()

    /// The scenario's hand (faults) and the attacker.
    public let environment: ActorID
    /// The users' browser sessions that claim nodes.
    let consoleActor: ActorID
    public let storeActor: ActorID
    /// The API server: the edge functions' host between clients and the store
    /// (World+APIServer.swift).
    public let apiServerActor: ActorID
    var apiServer: APIServerHost
    var nextTransaction: UInt64 = 1
    /// The chance a transaction loses its database connection mid-handler (rolled back, 503).
    var transactionLossRate = 0.0
    var roles: [Role] = []

    // Store server state (volatile: lost when the store restarts).
    var listeners: [ActorID] = []
    var cronHandles: [EventHandle] = []
    var storeSlowness: SimDuration = .zero
    var notificationDropRate = 0.0
    /// Ground truth for the harness's own checks (never the system's): which node process
    /// holds a node id.
    var nodeIndexByID: [NodeID: Int] = [:]

    var sentinels: [SentinelHost] = []
    var sentinelEffects: [Sentinel.Effect] = []
    var nodes: [NodeHost] = []
    var nodeEffects = NodeAgent.EffectList()
    var portals: [PortalHost] = []
    var portalEffects: [PortalUser.Effect] = []
    var nextRequestID: UInt64 = 1

    public var observer: Observer
    /// Set to record the run's trace lines.
    public var traceRecorder: TraceRecorder?
    /// Set to sample pending/running chunks, online nodes and delays for reports (Timeline.swift).
    public var timeline: Timeline?
    /// Set to keep a digest of the store's decisions (World+Decisions.swift).
    public var decisions: TraceDigest?
    /// Events delivered so far by kind (indexed by `WorldEvent.kindIndex`): where a run's
    /// events go (`bench fleet` prints them), beside the Engine's total `sim.eventsDelivered`.
    public var eventsByKind: [UInt64] { WorldEvent.kindNames.indices.map { eventKindCounts[$0] } }
    var eventKindCounts = EventKindCounts()
    /// Claims in flight: request id → node index.
    var pendingClaims: [UInt64: Int] = [:]
    /// The attacker's capture of a signed heartbeat, for the replay attack.
    var capturedHeartbeat: APIRequest?
    var attackReplies: [UInt64: APIResponse] = [:]
    /// Named partitions in force.
    var partitions: [String: PartitionID] = [:]

    public init(_ config: WorldConfig) {
        precondition(WorldEvent.kindNames.count <= EventKindCounts.capacity, "World: more event kinds than EventKindCounts holds")
        self.config = config
        sim = Simulation(seed: config.seed)
        sim.network.defaultLink = config.link
        store = EmbeddedStore(
            seed: config.seed, triggerInstalled: !config.profile.has(.missingTrigger), now: WorldTime.epoch)
        switch config.signatures {
        case .ed25519: scheme = Ed25519()
        case .standIn: scheme = StandInSignatureScheme()
        }
        var handlers = RequestHandlers(profile: config.profile, hasher: SodiumSHA256(), scheme: scheme)
        var todaysHandlers: RequestHandlers? = nil
        switch config.nodeMigration {
        case .refuseUnsigned: break
        case .acceptUnsigned(let until): handlers.acceptUnsignedUntil = WorldTime.timestamp(.zero + until)
        case .todaysHandlersBeside: todaysHandlers = RequestHandlers(profile: .legacy, hasher: SodiumSHA256(), scheme: scheme)
        }
        self.handlers = handlers
        self.todaysHandlers = todaysHandlers
        observer = Observer(profile: config.profile, compute: config.compute)
        environment = sim.addActor(named: "environment")
        roles.append(.environment)
        consoleActor = sim.addActor(named: "console")
        roles.append(.console)
        storeActor = sim.addActor(named: "store")
        roles.append(.store)
        apiServerActor = sim.addActor(named: "api-server")
        roles.append(.apiServer)
        apiServer = APIServerHost(actor: apiServerActor)
        bootStore()
        for (guild, members) in config.guilds { observer.guildMembers[guild] = Array(Set(members)).sorted() }
        registerUsers()
        seedStaleConfigs()
        for _ in 0..<config.sentinels { addSentinel() }
        for (i, user) in config.users.enumerated() { addPortal(user, index: i) }
        // Exactly the fleet's size: a node host is about a kilobyte (its agent inline), and
        // growing by doubling would leave up to 40 % of the array unused (6 MB at 10,000 nodes).
        nodes.reserveCapacity(config.nodes.count)
        roles.reserveCapacity(roles.count + config.nodes.count)
        for spec in config.nodes { addNode(spec) }
    }

    /// The system's wall clock as `actor` reads it now.
    @inlinable func now(_ actor: ActorID) -> Timestamp {
        WorldTime.timestamp(sim.localTime(of: actor))
    }

    /// Sets the embedded store's clock (its `now()`) to the store server's local time, skew
    /// and drift included: done before every statement, so the store owns its clock as
    /// PostgreSQL does and clients only ever send it intervals.
    @inlinable mutating func syncStoreClock() {
        store.now = now(storeActor)
    }

    mutating func takeRequestID() -> UInt64 {
        defer { nextRequestID += 1 }
        return nextRequestID
    }

    // MARK: Running

    /// Runs until no event is left or the next one is later than `horizon`; stops early at
    /// the first invariant violation when `stopOnViolation`, and right after the event that
    /// completes the `stopAfterCompletedJobs`-th job when that is set (the fleet workload).
    @discardableResult
    public mutating func run(until horizon: SimInstant, stopOnViolation: Bool = true, stopAfterCompletedJobs: Int? = nil) -> Bool {
        let jobTarget = stopAfterCompletedJobs ?? .max
        // The header, then the payload moved out of the queue into the one `WorldDelivery` the
        // dispatcher borrows (`Simulation.nextHeader`): no optional of a whole event.
        while let header = sim.nextHeader(until: horizon) {
            let event = WorldDelivery(
                time: header.time, actor: header.actor, from: header.from, kind: header.kind, payload: sim.takePayload())
            // Prefetches for the probable next event while this one is handled (World+Lookahead.swift).
            lookAhead()
            if let recorder = traceRecorder {
                recorder.record(event, index: sim.eventsDelivered, digest: sim.digest)
            }
            if timeline != nil { sampleTimeline(before: event.time) }
            eventKindCounts.add(event.payload.kindIndex)
            // Jobs complete only in the store's transactions. (Asked only when there is a target:
            // the call copies the whole 600-byte store value onto the stack first.)
            let checkJobs = event.actor == storeActor && stopAfterCompletedJobs != nil
            dispatch(consume event)
            if stopOnViolation && observer.firstViolation != nil { return false }
            if checkJobs && store.jobCount(.completed) >= jobTarget {
                finishRun()
                return observer.firstViolation == nil
            }
        }
        if sim.now < horizon { sim.advance(to: horizon) }
        finishRun()
        return observer.firstViolation == nil
    }

    mutating func finishRun() {
        finishTimeline(at: sim.now)
        measureGuildFilters()
        // The run ends at the horizon, not at its last event: a liveness deadline at the horizon
        // is checked too.
        observer.now = max(observer.now, sim.now)
        observer.finish(store: store)
    }

    /// Probes the first running sentinel's guild filters with ids that are members of no guild
    /// (a fixed range far from any scenario's ids), counting what they admit. Probing does not
    /// touch the simulation (no event, no randomness), so digests are unchanged.
    mutating func measureGuildFilters() {
        guard let directory = sentinels.lazy.compactMap(\.sentinel).first?.guilds else { return }
        let probes: ClosedRange<UInt64> = 900_000_000_000...900_000_009_999
        for guild in directory.guildNames {
            for id in probes where !directory.contains(guild: guild, member: String(id)) {
                observer.measures.guildFilterProbes += 1
                if directory.mightContain(guild: guild, member: String(id)) {
                    observer.measures.guildFilterFalsePositives += 1
                }
            }
        }
    }

    /// Takes the event (`consuming`): the store and the API server move its payload on
    /// (`World+Moves.swift`).
    mutating func dispatch(_ e: consuming WorldDelivery) {
        observer.noteEvent(e)
        switch roles[Int(e.actor.index)] {
        case .store: storeReceive(consume e)
        case .apiServer: apiServerReceive(consume e)
        case .sentinel(let i): sentinelReceive(i, e)
        case .node(let i): nodeReceive(i, e)
        case .portal(let i): portalReceive(i, e)
        case .environment: environmentReceive(e)
        case .console: consoleReceive(e)
        }
    }

    /// Schedules a control action at a virtual instant for an actor (or the environment).
    public mutating func schedule(_ action: ControlAction, at t: SimInstant, for actor: ActorID? = nil) {
        sim.schedule(at: t, for: actor ?? environment, .control(action))
    }

    public func actor(ofNode i: Int) -> ActorID { nodes[i].actor }
    public func actor(ofSentinel i: Int) -> ActorID { sentinels[i].actor }
    public var nodeCount: Int { nodes.count }
    public var sentinelCount: Int { sentinels.count }
}
