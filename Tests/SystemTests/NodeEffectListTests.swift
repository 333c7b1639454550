import Testing

@testable import JobSystem

/// `NodeAgent.EffectList` against an `Array` of the same effects: the order kept, `drain`
/// emptying it, growth past its first storage, and copies that share storage until one of them
/// changes (value semantics).
@Suite struct NodeEffectListTests {
    /// A seeded effect of any case, with heap-backed payloads (a request's body and headers, the
    /// durable state's seed and claim code) so that copies and moves of references are exercised.
    static func effect(_ rng: inout SystemTestRNG, _ serial: Int) -> NodeAgent.Effect {
        let id = rng.next()
        switch rng.next() % 7 {
        case 0:
            let body = rng.bytes(count: Int(rng.next() % 40))
            return .send(requestID: id, APIRequest(method: "POST", path: "/node-heartbeat-\(serial)", body: body))
        case 1: return .setTimer(.requestTimeout(id), after: .milliseconds(Int64(serial)))
        case 2: return .cancelTimer(serial % 2 == 0 ? .heartbeat : .retry(id))
        case 3:
            var durable = NodeAgent.Durable(keySeed: rng.bytes(count: 32))
            durable.claimCode = "code-\(serial)"
            durable.incarnation = id
            return .persist(durable)
        case 4: return .openChannel(APIRequest(method: "GET", path: "/channel-\(serial)"))
        case 5: return .closeChannel
        default: return .setTimer(.heartbeat, after: .seconds(Int64(serial % 60)))
        }
    }

    static func drained(_ list: inout NodeAgent.EffectList) -> [NodeAgent.Effect] {
        var out: [NodeAgent.Effect] = []
        list.drain { out.append($0) }
        return out
    }

    @Test(arguments: [UInt64(1), 2, 3, 4])
    func behavesAsAnArrayDrainedInOrder(seed: UInt64) {
        var rng = SystemTestRNG(state: seed)
        var list = NodeAgent.EffectList()
        var model: [NodeAgent.Effect] = []
        var serial = 0
        for _ in 0..<2_000 {
            // Batches of 0 to 40 effects: empty drains, and batches past the first storage's 8
            // slots and its doublings.
            let batch = Int(rng.next() % (rng.next() % 4 == 0 ? 41 : 4))
            for _ in 0..<batch {
                let e = Self.effect(&rng, serial)
                serial += 1
                list.append(e)
                model.append(e)
            }
            #expect(list.count == model.count)
            #expect(list.effects == model)
            if rng.next() % 3 != 0 {
                #expect(Self.drained(&list) == model)
                model.removeAll()
                #expect(list.isEmpty)
                #expect(list.count == 0)
            }
        }
        #expect(Self.drained(&list) == model)
        #expect(Self.drained(&list).isEmpty)
    }

    @Test(arguments: [UInt64(5), 6, 7])
    func copiesAreIndependent(seed: UInt64) {
        var rng = SystemTestRNG(state: seed)
        var serial = 0
        for _ in 0..<300 {
            var a = NodeAgent.EffectList()
            var modelA: [NodeAgent.Effect] = []
            for _ in 0..<Int(rng.next() % 20) {
                let e = Self.effect(&rng, serial)
                serial += 1
                a.append(e)
                modelA.append(e)
            }
            var b = a
            var modelB = modelA
            // One of them changes, by an append or a drain; the other must not see it.
            switch rng.next() % 4 {
            case 0:
                let e = Self.effect(&rng, serial)
                serial += 1
                b.append(e)
                modelB.append(e)
            case 1:
                let e = Self.effect(&rng, serial)
                serial += 1
                a.append(e)
                modelA.append(e)
            case 2:
                #expect(Self.drained(&b) == modelB)
                modelB.removeAll()
            default:
                #expect(Self.drained(&a) == modelA)
                modelA.removeAll()
            }
            #expect(a.effects == modelA)
            #expect(b.effects == modelB)
            #expect(Self.drained(&a) == modelA)
            #expect(Self.drained(&b) == modelB)
        }
    }

    @Test func anEmptyListHoldsNothing() {
        var list = NodeAgent.EffectList()
        #expect(list.isEmpty)
        #expect(list.effects.isEmpty)
        #expect(Self.drained(&list).isEmpty)
        list.append(.closeChannel)
        #expect(Self.drained(&list) == [.closeChannel])
        #expect(list.isEmpty)
    }
}

/// The effect's size: `.startCompute`'s order is boxed so that an effect is no larger than its
/// `.send` case (a request id, the request and a tag byte), which the compiler copies inline
/// (up to 128 bytes) rather than through `memcpy`, at every append and drain of a heartbeat.
@Suite struct NodeEffectLayoutTests {
    @Test func anEffectIsItsSendCaseAndATag() {
        let send = MemoryLayout<UInt64>.size + MemoryLayout<APIRequest>.size
        #expect(MemoryLayout<NodeAgent.Effect>.size <= send + 1)
        #expect(MemoryLayout<NodeAgent.Effect>.size <= 128)
        #expect(MemoryLayout<NodeAgent.ComputeOrder>.size > send)
    }
}
