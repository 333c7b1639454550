import Engine
import JobSystem
import Testing

@testable import SimHarness

/// `NodeTimerHandles` (a node host's armed timers) answers exactly as the
/// `[NodeTimer: EventHandle]` it replaced, over random sequences of arming, re-arming,
/// firing, cancelling and clearing every kind of timer.
@Suite struct NodeTimerHandlesTests {
    struct Payload: TraceablePayload {
        func fold(into digest: inout TraceDigest) {}
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func behavesAsADictionary(seed: UInt64) {
        var rng = Xoshiro256StarStar(seed: seed, stream: 1)
        var sim = Simulation<Payload>(seed: seed)
        let actor = sim.addActor(named: "node")
        var handles = NodeTimerHandles()
        var model: [NodeTimer: EventHandle] = [:]
        func timer(_ r: UInt64) -> NodeTimer {
            switch r % 5 {
            case 0: return .heartbeat
            case 1: return .resubscribe
            case 2: return .channelOpenTimeout
            // Request and operation ids from one small range: the same id under both kinds
            // must stay two timers.
            case 3: return .requestTimeout(r / 5 % 6)
            default: return .retry(r / 5 % 6)
            }
        }
        for _ in 0..<4_000 {
            let t = timer(rng.next())
            switch rng.next() % 4 {
            case 0, 1:
                let h = sim.setTimer(for: actor, after: .milliseconds(1), Payload())
                handles[t] = h
                model[t] = h
            case 2:
                #expect(handles.removeValue(forKey: t) == model.removeValue(forKey: t))
            default:
                if rng.next() % 50 == 0 {
                    handles.removeAll(keepingCapacity: true)
                    model.removeAll()
                } else {
                    handles[t] = nil
                    model[t] = nil
                }
            }
            #expect(handles[t] == model[t])
        }
        for r in UInt64(0)..<30 { #expect(handles[timer(r)] == model[timer(r)]) }
    }
}
