import Engine
import Testing

@testable import SimHarness

/// `InFlightRequests` (the API server's requests waiting for their transaction) answers
/// exactly as the `[UInt64: InFlightRequest]` it replaced, over random sequences of requests
/// arriving with increasing ids (some ids skipped), answers coming back in any order, lookups
/// of waiting, answered and unknown ids, and the table emptied at once (a crash).
@Suite struct InFlightRequestsTests {
    @Test(arguments: [UInt64(1), 2, 3, 4])
    func behavesAsADictionary(seed: UInt64) {
        var rng = Xoshiro256StarStar(seed: seed, stream: 7)
        var table = InFlightRequests()
        var model: [UInt64: InFlightRequest] = [:]
        var nextID: UInt64 = 1
        func same(_ a: InFlightRequest?, _ b: InFlightRequest?) -> Bool {
            a?.client == b?.client && a?.requestID == b?.requestID && a?.typedWire == b?.typedWire
                && a?.headerText == b?.headerText && a?.keyText == b?.keyText
        }
        // Clients at the ends of the actors' range too (a slot is vacant by its client's sign).
        func client(_ r: UInt64) -> ActorID {
            switch r >> 58 {
            case 0: ActorID(Int32(0))
            case 1: ActorID(Int32.max)
            default: ActorID(Int(r >> 40 % 64))
            }
        }
        func address(_ r: UInt64) -> UnsafeRawPointer? { r % 3 == 0 ? nil : UnsafeRawPointer(bitPattern: UInt(r | 1)) }
        for step in 0..<50_000 {
            let r = rng.next()
            switch r % 16 {
            case 0..<6:
                // A request arrives; now and then ids are skipped (handed out elsewhere).
                nextID += r / 16 % 5 == 0 ? r / 80 % 4 : 0
                let request = InFlightRequest(
                    client: client(r), requestID: r >> 20, typedWire: r & 1 << 30 != 0,
                    headerText: address(r >> 8), keyText: address(r >> 12))
                table.insert(request, for: nextID)
                model[nextID] = request
                nextID += 1
            case 6..<12:
                // An answer comes back: usually one of the oldest, sometimes any, sometimes unknown.
                let waiting = model.keys.sorted()
                let id: UInt64
                if waiting.isEmpty || r / 16 % 8 == 0 {
                    id = r / 128 % (nextID + 3)
                } else if r / 16 % 8 < 6 {
                    id = waiting[Int(r / 128 % UInt64(min(4, waiting.count)))]
                } else {
                    id = waiting[Int(r / 128 % UInt64(waiting.count))]
                }
                #expect(same(table.removeValue(forKey: id), model.removeValue(forKey: id)), "step \(step)")
            case 12..<15:
                let id = r / 16 % (nextID + 3)
                #expect(same(table[id], model[id]), "step \(step)")
            default:
                if r / 16 % 20 == 0 {
                    // A crash: everything waiting goes, oldest first.
                    let all = table.removeAll()
                    #expect(all.map(\.id) == model.keys.sorted())
                    #expect(all.allSatisfy { same($0.request, model[$0.id]) })
                    model.removeAll()
                }
            }
            #expect(table.count == model.count && table.isEmpty == model.isEmpty)
        }
    }
}
