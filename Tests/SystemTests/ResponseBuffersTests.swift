import Testing

@testable import JobSystem

/// `ResponseBuffers` (the server's reused response bodies): every body handed out holds the
/// bytes written for it for as long as anyone keeps it, whatever the ring reuses after; a slot
/// whose body nobody else holds is rewritten in place (no new storage).
@Suite struct ResponseBuffersTests {
    /// Bytes for the `n`-th body: its length and contents from a seeded stream.
    static func content(_ rng: inout SystemTestRNG) -> [UInt8] {
        // Lengths from a narrow range half the time, so a slot often gets a body of the length
        // it had (rewritten in place) and otherwise one longer or shorter.
        let length = rng.next() % 2 == 0 ? Int(100 + rng.next() % 3) : Int(40 + rng.next() % 140)
        return (0..<length).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
    }

    /// Seeded sequences of bodies held for random spans (some past several turns of the ring,
    /// some never released): each held body keeps its bytes until released, against a copy kept
    /// aside when it was made.
    @Test(arguments: [0, 1, 4, 16])
    func heldBodiesKeepTheirBytes(slots: Int) {
        var rng = SystemTestRNG(state: UInt64(100 + slots))
        var buffers = ResponseBuffers(slots: slots)
        var held: [(body: [UInt8], expected: [UInt8], until: Int)] = []
        for step in 0..<3_000 {
            let expected = Self.content(&rng)
            let body = buffers.bytes(count: expected.count) { start in
                for (i, b) in expected.enumerated() { start[i] = b }
            }
            #expect(body == expected)
            let span = rng.next() % 10 == 0 ? 200 : Int(rng.next() % 12)
            held.append((body, expected, step + span))
            for h in held where h.until == step { #expect(h.body == h.expected) }
            held.removeAll { $0.until <= step }
            if step % 97 == 0 { for h in held { #expect(h.body == h.expected) } }
        }
        for h in held { #expect(h.body == h.expected) }
    }

    /// Bodies dropped before the ring comes round are rewritten in place: the same storage comes
    /// back for every turn (with room enough), and a body still held is never reused.
    @Test func droppedBodiesAreReused() {
        var buffers = ResponseBuffers(slots: 4)
        func address(_ body: [UInt8]) -> UnsafeRawPointer { body.withUnsafeBytes { $0.baseAddress! } }
        var first: [UnsafeRawPointer] = []
        for i in 0..<4 {
            first.append(address(buffers.bytes(count: 100) { start in start.update(repeating: UInt8(i), count: 100) }))
        }
        for turn in 0..<6 {
            // Turns 0-2 and 3-5 each have bodies of one length: rewritten in place too.
            let count = 60 + turn / 3 * 5
            for i in 0..<4 {
                let body = buffers.bytes(count: count) { start in start.update(repeating: UInt8(turn), count: count) }
                #expect(address(body) == first[i])
                #expect(body == [UInt8](repeating: UInt8(turn), count: count))
            }
        }
        let kept = buffers.bytes(count: 10) { start in start.update(repeating: 7, count: 10) }
        for _ in 0..<4 { _ = buffers.bytes(count: 10) { start in start.update(repeating: 9, count: 10) } }
        #expect(kept == [UInt8](repeating: 7, count: 10))
    }

    /// Slots round up to a power of two; none means a new array every time.
    @Test func slotCounts() {
        #expect(ResponseBuffers(slots: 0).ring.count == 0)
        #expect(ResponseBuffers(slots: 1).ring.count == 1)
        #expect(ResponseBuffers(slots: 5).ring.count == 8)
        #expect(ResponseBuffers(slots: 256).ring.count == 256)
        var none = ResponseBuffers.none
        let a = none.bytes(count: 3) { $0.update(repeating: 1, count: 3) }
        #expect(a == [1, 1, 1])
    }

    /// The address `prefetchNext` asks for is the block that holds the next slot's bytes: the
    /// array's storage object, whose elements start 32 bytes in (its header, reference count,
    /// count and capacity). Checked against the array's own element pointer for every slot,
    /// empty and written, as the ring turns; and asking changes no body.
    @Test func prefetchAddressIsTheBodysBlock() {
        var rng = SystemTestRNG(state: 7)
        var buffers = ResponseBuffers(slots: 8)
        var kept: [[UInt8]] = []
        for step in 0..<40 {
            buffers.prefetchNext()
            let expected = Self.content(&rng)
            let body = buffers.bytes(count: expected.count) { start in
                for (i, b) in expected.enumerated() { start[i] = b }
            }
            #expect(body == expected)
            if step % 5 == 0 { kept.append(body) }
            for slot in 0..<8 {
                let address = buffers.bodyAddress(ofSlot: slot)
                #expect(address != nil)
                buffers.ring[slot].withUnsafeBufferPointer { elements in
                    if let first = elements.baseAddress, let address {
                        #expect(UnsafeRawPointer(first) - address == 32)
                    }
                }
            }
        }
        #expect(kept.allSatisfy { !$0.isEmpty })
        #expect(buffers.bodyAddress(ofSlot: 8) == nil && buffers.bodyAddress(ofSlot: -1) == nil)
    }
}
