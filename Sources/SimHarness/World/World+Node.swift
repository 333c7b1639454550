import CPrefetch
import Engine
import JobSystem

/// A node process in the world: the System's `NodeAgent`, its timers, and its worker pool's
/// computations, which take simulated time drawn from the workload model.
struct NodeHost {
    // Declaration order is layout order. What every node event reads comes first and together,
    // so a heartbeat (a timer event and its answer) touches as few of the host's cache lines as
    // it can: at 10,000 nodes the hosts are 7 MB, and each line a node event touches is a cache
    // miss. The first line: the actor, the flags, the timers (the heartbeat's and its request
    // timeout's handles inline); then the agent, whose own stored properties start with what a
    // heartbeat reads (`NodeAgent`); the channel's fields, the crash-surviving copy of the
    // durable state and the rare fields after it. `NodeHostLayoutTests` checks the bounds.

    let actor: ActorID
    /// `agent != nil`, kept apart (set with it): testing the optional copies the whole agent,
    /// and this is asked on every event.
    var isRunning = false
    /// Alive and heartbeating, but its workers are stuck (no computation finishes).
    var hung = false
    var claimRequested = false
    /// Whether it has booted once (its first boot is not a restart).
    var booted = false
    /// The agent's armed timers (looked up by kind, never iterated).
    var timers = NodeTimerHandles()
    /// Nil while crashed (or before its first boot).
    var agent: NodeAgent?
    /// The assignment channel's connection number: bumped at every open and close, so what
    /// arrives for an older connection is discarded, as a closed socket's data is.
    var channelGeneration: UInt64 = 0
    /// When the last channel message to it arrives: the next one never overtakes it (TCP).
    var channelDeliveredUntil: SimInstant = .zero
    /// What survives a crash: the key seed, the node id, the claim code.
    var durable: NodeAgent.Durable
    /// Computations ordered while hung: they start when the node is unhung (a stall that
    /// clears), and are lost with a crash.
    var stalled: [NodeAgent.ComputeOrder] = []
    /// The version it runs since an `upgradeNode` fault, if one happened: the rest of its spec
    /// is `config.nodes[i]`, not copied here (88 bytes per node).
    var upgradedVersion: String?

    init(actor: ActorID, durable: NodeAgent.Durable) {
        self.actor = actor
        self.durable = durable
    }
}

extension World {
    mutating func addNode(_ spec: NodeSpec) {
        let i = nodes.count
        let actor = sim.addActor(named: "node-\(spec.name)")
        roles.append(.node(i))
        // The identity: 32 bytes from the node's own stream, drawn once (first run).
        var seed = [UInt8](repeating: 0, count: 32)
        for k in 0..<4 {
            let w = sim.rngs[Int(actor.index)].next()
            for b in 0..<8 { seed[k * 8 + b] = UInt8(truncatingIfNeeded: w >> (8 * UInt64(b))) }
        }
        nodes.append(NodeHost(actor: actor, durable: NodeAgent.Durable(keySeed: seed)))
        // The hosts' storage is reserved for the whole fleet before the first host is added
        // (`World.init`): it asks for huge pages while all but its first page are untouched.
        if i == 0 {
            nodes.withUnsafeBufferPointer { HugePages.advise($0.baseAddress!, bytes: nodes.capacity * MemoryLayout<NodeHost>.stride) }
        }
        sim.schedule(at: SimInstant.zero + spec.bootAt, for: actor, .control(.restart))
    }

    /// Node `i`'s spec: the world's config's, with the version of an upgrade if one happened.
    func nodeSpec(_ i: Int) -> NodeSpec {
        var spec = config.nodes[i]
        if let version = nodes[i].upgradedVersion { spec.version = version }
        return spec
    }

    func nodeSettings(_ spec: NodeSpec) -> NodeAgent.Settings {
        var settings = NodeAgent.Settings(
            name: spec.name, totalCores: spec.totalCores, maxParallel: spec.maxParallel, platform: "linux",
            version: spec.version, signsRequests: spec.signs, profile: config.profile,
            requestTimeout: config.requestTimeout)
        settings.typedWire = config.wire == .typed
        return settings
    }

    mutating func bootNode(_ i: Int) {
        let actor = nodes[i].actor
        sim.restart(actor)
        nodes[i].timers.removeAll()
        nodes[i].isRunning = true
        nodes[i].booted = true
        nodes[i].agent = NodeAgent(
            durable: nodes[i].durable, settings: nodeSettings(nodeSpec(i)), scheme: scheme, hasher: hasher)
        feedNode(i, .boot, actor: actor)
        if let mean = config.nodeCrashMean {
            let after = DurationDistribution.exponential(mean: mean).draw(&sim.rngs[Int(actor.index)])
            sim.schedule(at: sim.now + after, for: actor, .control(.crash))
        }
    }

    mutating func crashNode(_ i: Int) {
        guard nodes[i].isRunning else { return }
        // What survives is what the agent last persisted (`.persist`), nothing else.
        nodes[i].agent = nil
        nodes[i].isRunning = false
        nodes[i].stalled.removeAll()
        closeNodeChannel(i)
        sim.crash(nodes[i].actor)
        if config.nodeCrashMean != nil {
            sim.schedule(at: sim.now + config.nodeRestartDelay, for: nodes[i].actor, .control(.restart))
        }
    }

    /// (Its host, clock and network stream were prefetched one event earlier, by the look-ahead:
    /// World+Lookahead.swift.)
    mutating func nodeReceive(_ i: Int, _ e: WorldDelivery) {
        switch e.payload {
        case .apiReply(let id, let response):
            // The answer cancels its request's timeout (`NodeAgent.handle`'s `.cancelTimer`),
            // armed a round trip earlier and cold by now: its slot word and envelope are asked
            // for here, while the agent reads the answer, not waited for in the cancel (the
            // slot word's wait was 7 % of `feedNode`'s samples at N = 10,000). The handle is in
            // the host's first lines, which the look-ahead asked for.
            sim.prefetchEvent(nodes[i].timers.inlineRequestTimeout(id))
            feedNode(i, .response(requestID: id, response), actor: e.actor)
        case .channelMessage(let generation, let message):
            prefetchHostWorkFields(i)
            guard generation == nodes[i].channelGeneration else { return }
            observer.measures.heldChunksRecovered += feedNode(i, .channel(message), actor: e.actor)
        case .channelClosed(let generation, let refusal):
            guard generation == nodes[i].channelGeneration else { return }
            nodes[i].channelGeneration += 1
            feedNode(i, .channelClosed(refusal: refusal), actor: e.actor)
        case .nodeTimer(let t):
            nodes[i].timers[t] = nil
            feedNode(i, .timer(t), actor: e.actor)
        case .computed(let chunk, let attempt, let ledger, let result):
            prefetchHostWorkFields(i)
            if nodes[i].isRunning { observer.noteComputationFinished(ledger: Int(ledger)) }
            feedNode(i, .computeFinished(chunkID: chunk, attempt: attempt, result: result), actor: e.actor)
        case .control(let action): apply(action, on: .node(i))
        default: preconditionFailure("node got \(e.payload.kind)")
        }
    }

    /// Asks for the host's lines past those the look-ahead's `prefetchHostLines` asks for (its bytes 512 to the end),
    /// on a chunk event only: they hold the agent's work-state fields (`NodeAgent.queue`,
    /// `active`, `finished`, `configs`, ...), whose blocks `NodeAgent.prefetchWorkState` then
    /// asks for. A hint only.
    ///
    /// And the node's spec's `slowdown`, which `startCompute` reads when the event starts a
    /// computation (an assignment, or the next queued chunk after one finishes): the config's
    /// array of specs is 10,000 entries at N = 10,000, and that load's wait was a tenth of
    /// `feedNode`'s samples.
    @inline(__always)
    func prefetchHostWorkFields(_ i: Int) {
        nodes.withUnsafeBufferPointer { hosts in
            let host = UnsafeRawPointer(hosts.baseAddress! + i)
            for offset in stride(from: 512, to: MemoryLayout<NodeHost>.size, by: 64) { cprefetch_read(host + offset) }
        }
        config.nodes.withUnsafeBufferPointer { specs in
            cprefetch_read(UnsafeRawPointer(specs.baseAddress! + i) + Self.slowdownOffset)
        }
    }

    /// Where a `NodeSpec`'s `slowdown` lies in it (computed, not a stored global: the compiler
    /// folds it to a constant, with no lazy-initialisation accessor on the path).
    @inline(__always) static var slowdownOffset: Int { MemoryLayout<NodeSpec>.offset(of: \NodeSpec.slowdown)! }

    /// Hands the input to node `i`'s agent (if it runs) and carries out its effects. Returns how
    /// many held chunks the input made the agent recover (the channel's `subscribed` list), read
    /// on the agent while it is in hand: reading it through `nodes[i].agent?` afterwards copied
    /// the whole agent, a retain and a release of each of its references.
    ///
    /// `actor` is node `i`'s (`nodes[i].actor`), passed in from the delivered event: read from
    /// the host, the actor's clock could only be loaded once the host's first cache line had
    /// arrived, two cache misses one after the other at the start of every node event; known
    /// beforehand, both loads are under way at once.
    @discardableResult
    mutating func feedNode(_ i: Int, _ input: NodeAgent.Input, actor: ActorID) -> Int {
        let now = self.now(actor)
        guard nodes[i].isRunning else { return 0 }
        assert(nodes[i].actor == actor, "node \(i) is actor \(nodes[i].actor), not \(actor)")
        let recovered = Self.handle(input, now: now, on: &nodes[i].agent!, effects: &nodeEffects)
        // The world's reusable list, taken for the loop (an empty one, which holds no storage,
        // left in its place, and the list given back at the end), so the loop owns it whatever
        // the effects do; each effect moves out of it once, in the agent's order.
        var effects = NodeAgent.EffectList()
        swap(&effects, &nodeEffects)
        // The node's timers, taken for the loop too (no effect below reads them through the
        // host): each timer effect then reads and writes a local value, not `nodes[i]` (a
        // uniqueness check of the hosts' array and a copy of the handles for every access).
        var timers = NodeTimerHandles()
        swap(&timers, &nodes[i].timers)
        effects.drain { effect in
            switch consume effect {
            case .send(let id, let request):
                sim.send(from: actor, to: apiServerActor, .api(id: id, request))
            case .setTimer(let t, let after):
                if let h = timers[t] { sim.cancel(h) }
                timers[t] = sim.setTimer(for: actor, after: WorldTime.duration(after), .nodeTimer(t))
            case .cancelTimer(let t):
                if let h = timers.removeValue(forKey: t) { sim.cancel(h) }
            case .startCompute(let order):
                startCompute(i, order)
            case .persist(let durable):
                nodes[i].durable = durable
                if let id = durable.nodeID { nodeIndexByID[id] = i }
            case .openChannel(let request):
                closeNodeChannel(i)
                sim.send(from: actor, to: apiServerActor, .channelOpen(generation: nodes[i].channelGeneration, request))
            case .closeChannel:
                closeNodeChannel(i)
            }
        }
        swap(&timers, &nodes[i].timers)
        swap(&effects, &nodeEffects)
        // The flag first: once the claim is asked for, no event copies the durable state (a
        // retain and a release of its key seed and claim code) to look at the code.
        if !nodes[i].claimRequested, let code = nodes[i].durable.claimCode, config.nodes[i].owner != nil {
            nodes[i].claimRequested = true
            requestClaim(code, node: i)
        }
        return recovered
    }

    /// The agent's `handle`; the held chunks recovered are counted for a channel message only
    /// (the only input that recovers any), so other events do not read the counter.
    private static func handle(
        _ input: NodeAgent.Input, now: Timestamp, on agent: inout NodeAgent, effects: inout NodeAgent.EffectList
    ) -> Int {
        guard case .channel = input else {
            agent.handle(input, now: now, effects: &effects)
            return 0
        }
        let before = agent.counters.heldChunksRecovered
        agent.handle(input, now: now, effects: &effects)
        return agent.counters.heldChunksRecovered - before
    }

    /// The observer's chunk handle as the `computed` event carries it (32 bits, in the case's
    /// padding). Handles are dense chunk indices: 2^31 chunks would need more than 100 GiB of
    /// chunk rows before this could fail, so a larger one is a broken invariant, stated here.
    static func ledgerHandle(_ handle: Int) -> Int32 {
        guard let small = Int32(exactly: handle) else {
            preconditionFailure("chunk ledger handle \(handle) does not fit the computed event's 32 bits")
        }
        return small
    }

    mutating func startCompute(_ i: Int, _ order: NodeAgent.ComputeOrder, resumed: Bool = false) {
        let a = order.assignment
        // The observer's handle of the chunk, for the `computed` event (its finish).
        let ledger = resumed ? observer.chunks.handle(a.chunkID, store: store) : observer.noteComputationStarted(a.chunkID, store: store)
        guard !nodes[i].hung else {  // a hung worker pool starts nothing until it recovers
            nodes[i].stalled.append(order)
            return
        }
        let actor = nodes[i].actor
        let perThousand = config.chunkDuration.draw(&sim.rngs[Int(actor.index)])
        let duration = SimDuration(nanoseconds: perThousand.nanoseconds / 1_000 * Int64(a.iterations) * config.nodes[i].slowdown)
        guard let result = ComputeModel.result(
            config.compute, config: order.config, rotation: order.rotation, configKey: streamKey(a.configHash.hex),
            seedOffset: a.seedOffset, iterations: a.iterations)
        else { return }
        sim.setTimer(for: actor, after: duration, .computed(a.chunkID, attempt: a.attempt, ledger: Self.ledgerHandle(ledger), result))
    }

    /// The node's side of its channel closes (a new open, a close, a crash): the old
    /// connection's data is discarded, and the server, told by the closed socket, forgets it.
    mutating func closeNodeChannel(_ i: Int) {
        let old = ChannelEnd(actor: nodes[i].actor, generation: nodes[i].channelGeneration)
        nodes[i].channelGeneration += 1
        if let id = nodes[i].durable.nodeID, apiServer.channels[id] == old { apiServer.channels[id] = nil }
    }

    /// The node process holding this id (ground truth, for the harness's checks).
    func nodeIndex(of id: NodeID) -> Int? { nodeIndexByID[id] }

    /// Read access for tests and reports.
    public func nodeAgent(_ i: Int) -> NodeAgent? { nodes[i].agent }
    public func nodeDurable(_ i: Int) -> NodeAgent.Durable { nodes[i].durable }
}
