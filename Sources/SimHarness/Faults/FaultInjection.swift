import Engine
import JobSystem

/// The one place where faults and workload actions are applied to the world, whichever actor
/// the control event was delivered to. Both switches are exhaustive: a new action or target
/// does not compile until it says what it does, and a pair that means nothing was refused when
/// the plan was built (`ControlAction.accepts`), so reaching one here is a bug.
///
/// Every action that took effect is recorded in `Measures.faults` (what happened, not what was
/// planned: a restart of a node that is running, or a heal of a partition already healed,
/// records nothing), and the report's bands are drawn from that record.
extension World {
    mutating func apply(_ action: ControlAction, on target: Target) {
        precondition(action.accepts(target), "\(action) cannot be applied to \(target)")
        let happened: Bool
        switch action {
        case .crash:
            happened = crash(target)
        case .restart:
            happened = restart(target)
        case .hang, .unhang:
            guard case .node(let i) = target else { preconditionFailure("\(action) on \(target)") }
            let hang = action == .hang
            happened = nodes[i].hung != hang
            nodes[i].hung = hang
            if !hang {
                let resumed = nodes[i].stalled
                nodes[i].stalled.removeAll()
                for order in resumed { startCompute(i, order, resumed: true) }
            }
        case .clockStep(let d):
            sim.stepClock(of: resolve(target), by: d)
            happened = true
        case .clockDrift(let ppb):
            sim.setDrift(of: resolve(target), ppb: ppb)
            happened = true
        case .partition(let label, let from, let to, let oneWay):
            // The store's side of a partition is its whole site: the database and the API
            // server that runs beside it (today's edge functions live with the database).
            let a = sim.network.defineGroup(from.flatMap(site))
            let b = sim.network.defineGroup(to.flatMap(site))
            if let old = partitions[label] { sim.network.heal(old) }
            partitions[label] = sim.network.partition(a, b, oneWay: oneWay)
            dropCutChannels()
            happened = true
        case .heal(let label):
            let p = partitions.removeValue(forKey: label)
            if let p { sim.network.heal(p) }
            happened = p != nil
        case .healAll:
            happened = !partitions.isEmpty
            sim.network.healAll()
            partitions.removeAll()
        case .setLink(let model):
            sim.network.defaultLink = model
            happened = true
        case .storeSlowness(let d):
            happened = storeSlowness != d
            storeSlowness = d
        case .dropNotifications(let p):
            happened = notificationDropRate != p
            notificationDropRate = p
        case .dropStoreConnections:
            happened = !listeners.isEmpty || !apiServer.inFlight.isEmpty || !apiServer.channels.isEmpty
            for l in listeners { sim.deliver(from: storeActor, to: l, after: .milliseconds(1), .listenLost) }
            listeners.removeAll()
            dropAPIServerConnections()
        case .loseTransactions(let p):
            happened = transactionLossRate != p
            transactionLossRate = p
        case .dropConnection:
            guard case .sentinel(let i) = target else { preconditionFailure("\(action) on \(target)") }
            let actor = sentinels[i].actor
            happened = sentinels[i].sentinel != nil
            // Its session ends: the store forgets the listener, the client learns it at once.
            listeners.removeAll { $0 == actor }
            if happened { sim.deliver(from: storeActor, to: actor, after: .milliseconds(1), .listenLost) }
        case .startSentinel:
            addSentinel()
            happened = true
        case .stopSentinel:
            if let i = sentinels.indices.last(where: { sentinels[$0].sentinel != nil }) {
                stopSentinel(i)
                happened = true
            } else {
                happened = false
            }
        case .upgradeNode(let version):
            guard case .node(let i) = target else { preconditionFailure("\(action) on \(target)") }
            crashNode(i)
            nodes[i].upgradedVersion = version
            bootNode(i)
            happened = true
        case .guild(let event):
            switch target {
            case .environment:
                observer.applyGuild(event)
                for i in sentinels.indices { feedSentinel(i, .guild(event)) }
            case .sentinel(let i):
                feedSentinel(i, .guild(event))
            case .store, .apiServer, .node:
                preconditionFailure("\(action) on \(target)")
            }
            happened = true
        case .attack(let attack):
            launch(attack)
            happened = true
        }
        if happened { observer.noteFault(action, on: target) }
    }

    /// Crashes the target: volatile state, timers and incoming messages lost.
    private mutating func crash(_ target: Target) -> Bool {
        switch target {
        case .store:
            sim.crash(storeActor)
            // Every session breaks: listeners learn it from their dropped connection.
            for l in listeners { sim.deliver(from: storeActor, to: l, after: .milliseconds(1), .listenLost) }
            listeners.removeAll()
            // The API server's connections break too: transactions in flight fail, channels close.
            dropAPIServerConnections()
            return true
        case .apiServer:
            return crashAPIServer()
        case .sentinel(let i):
            guard sentinels[i].sentinel != nil else { return false }
            stopSentinel(i)
            return true
        case .node(let i):
            guard nodes[i].isRunning else { return false }
            crashNode(i)
            return true
        case .environment:
            preconditionFailure("crash on the environment")
        }
    }

    /// Restarts the target from its durable state; the first boot of a node is not a fault.
    private mutating func restart(_ target: Target) -> Bool {
        switch target {
        case .store:
            sim.restart(storeActor)
            bootStore()
            return true
        case .apiServer:
            return restartAPIServer()
        case .sentinel(let i):
            guard sentinels[i].sentinel == nil else { return false }
            sim.restart(sentinels[i].actor)
            startSentinel(i)
            return true
        case .node(let i):
            guard !nodes[i].isRunning else { return false }
            let firstBoot = !nodes[i].booted
            bootNode(i)
            return !firstBoot
        case .environment:
            preconditionFailure("restart on the environment")
        }
    }

    /// The actors a partition's target stands for: the store's site is the database and the
    /// API server.
    func site(_ t: Target) -> [ActorID] {
        t == .store ? [storeActor, apiServerActor] : [resolve(t)]
    }

    private mutating func stopSentinel(_ i: Int) {
        let actor = sentinels[i].actor
        sim.crash(actor)
        sentinels[i].sentinel = nil
        listeners.removeAll { $0 == actor }
    }
}
