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
                    handles.removeAll()
                    model.removeAll()
                } else {
                    handles[t] = nil
                    model[t] = nil
                }
            }
            #expect(handles[t] == model[t])
            // The prefetch hint's lookup: request `id`'s timeout when it is the inline entry,
            // else `.none`, never another timer's handle.
            for id in UInt64(0)..<6 {
                let inline = handles.inlineRequestTimeout(id)
                #expect(inline == .none || inline == model[.requestTimeout(id)])
            }
            // An emptied overflow gives its block back (its count is read by every lookup
            // that misses the inline entry).
            if handles.overflowCount == 0 { #expect(handles.overflowCapacity == 0) }
        }
        for r in UInt64(0)..<30 { #expect(handles[timer(r)] == model[timer(r)]) }
    }

    /// A node that once had three requests out holds no heap block once it is back to one, by
    /// either way out (the inline entry's removal, or another's).
    @Test func theOverflowsBlockGoesWhenItEmpties() {
        var sim = Simulation<Payload>(seed: 1)
        let actor = sim.addActor(named: "node")
        var handles = NodeTimerHandles()
        for id in UInt64(1)...3 { handles[.requestTimeout(id)] = sim.setTimer(for: actor, after: .milliseconds(1_000), Payload()) }
        #expect(handles.overflowCount == 2 && handles.overflowCapacity >= 2)
        handles[.requestTimeout(1)] = nil  // the inline one: the last of the others takes its place
        #expect(handles.overflowCount == 1 && handles.overflowCapacity >= 1)
        handles[.requestTimeout(2)] = nil
        #expect(handles.overflowCount == 0 && handles.overflowCapacity == 0)
        #expect(handles[.requestTimeout(3)] != nil)
        // One request out, inline: the hint's lookup finds it, and not a request no longer out.
        #expect(handles.inlineRequestTimeout(3) == handles[.requestTimeout(3)])
        #expect(handles.inlineRequestTimeout(2) == .none)
        for id in UInt64(4)...5 { handles[.retry(id)] = sim.setTimer(for: actor, after: .milliseconds(1_000), Payload()) }
        #expect(handles.overflowCount == 2)
        handles[.retry(5)] = nil
        handles[.retry(4)] = nil  // not the inline one: removed from the overflow
        #expect(handles.overflowCount == 0 && handles.overflowCapacity == 0)
        #expect(handles[.requestTimeout(3)] != nil && handles[.retry(4)] == nil)
        handles[.retry(6)] = sim.setTimer(for: actor, after: .milliseconds(1_000), Payload())
        #expect(handles.overflowCount == 1)
        handles.removeAll()
        #expect(handles.overflowCapacity == 0 && handles[.retry(6)] == nil && handles[.requestTimeout(3)] == nil)
    }
}
