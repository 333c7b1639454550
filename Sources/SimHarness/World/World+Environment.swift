import Engine
import JobSystem

/// The environment actor: the scenario's hand (its control events go to `apply`) and the
/// attacker, which keeps the answers to its requests.
extension World {
    mutating func environmentReceive(_ e: WorldDelivery) {
        switch e.payload {
        case .control(let action):
            apply(action, on: .environment)
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
        case .apiServer: return apiServerActor
        case .sentinel(let i): return sentinels[i].actor
        case .node(let i): return nodes[i].actor
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
