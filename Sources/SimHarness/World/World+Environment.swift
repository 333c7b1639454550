import Engine
import System

/// World-wide faults: partitions, link changes, deploys, guild events, attacks.
extension World {
    mutating func environmentReceive(_ e: Delivered<WorldEvent>) {
        switch e.payload {
        case .control(let action):
            environmentControl(action)
        case .apiReply(let id, let response):
            attackReplies[id] = response
        default:
            break
        }
    }

    /// The actor a scenario's target names.
    public func resolve(_ t: Target) -> ActorID {
        switch t {
        case .environment: return environment
        case .store: return storeActor
        case .sentinel(let i): return sentinels[i].actor
        case .node(let i): return nodes[i].actor
        }
    }

    mutating func environmentControl(_ action: ControlAction) {
        switch action {
        case .partition(let label, let from, let to, let oneWay):
            let a = sim.network.defineGroup(from.map(resolve))
            let b = sim.network.defineGroup(to.map(resolve))
            partitions[label] = sim.network.partition(a, b, oneWay: oneWay)
            observer.noteFault("partition \(label)")
        case .heal(let label):
            if let p = partitions.removeValue(forKey: label) { sim.network.heal(p) }
        case .healAll:
            sim.network.healAll()
            partitions.removeAll()
        case .setLink(let model):
            sim.network.defaultLink = model
        case .startSentinel:
            addSentinel()
        case .stopSentinel:
            if let i = sentinels.indices.last(where: { sentinels[$0].sentinel != nil }) { sentinelControl(i, .stopSentinel) }
        case .guild(let event):
            observer.applyGuild(event)
            for i in sentinels.indices { feedSentinel(i, .guild(event)) }
        case .attack(let attack):
            launch(attack)
        default:
            break
        }
    }
}

extension World {
    /// Delivers a message as if `from` had sent it, after `delay`, bypassing the link model: a
    /// rogue or buggy client (a scheduler that ignores eligibility, say), for runs built to
    /// break an invariant on purpose.
    public mutating func inject(_ payload: WorldEvent, from: ActorID, to: ActorID, after delay: SimDuration = .milliseconds(1)) {
        sim.deliver(from: from, to: to, after: delay, payload)
    }
}
