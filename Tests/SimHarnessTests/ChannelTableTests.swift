import Engine
import JobSystem
import Testing

@testable import SimHarness

/// `ChannelTable` (the API server's open channels by node id) answers exactly as the
/// `[NodeID: ChannelEnd]` it replaced, over random sequences of opens (new ids and replaced
/// ends), lookups of open and unknown ids, closes (through a nil, of open and unknown ids, so
/// removals shift probe runs of every shape) and the table emptied at once; `entries` lists
/// the dictionary's pairs ordered by id.
@Suite struct ChannelTableTests {
    @Test(arguments: [UInt64(1), 2, 3, 4])
    func behavesAsADictionary(seed: UInt64) {
        var rng = Xoshiro256StarStar(seed: seed, stream: 11)
        var table = ChannelTable()
        var model: [NodeID: ChannelEnd] = [:]
        // A pool of ids drawn as the store draws them, and a second pool sharing their words
        // pairwise (same high word, or same low word) so that homes collide.
        var pool: [NodeID] = (0..<300).map { _ in NodeID(Identifier.random(using: &rng)) }
        pool += pool.prefix(100).map { NodeID(Identifier(high: $0.raw.high, low: $0.raw.low ^ 1)) }
        pool += pool.prefix(100).map { NodeID(Identifier(high: $0.raw.high ^ 1 << 40, low: $0.raw.low)) }
        for step in 0..<60_000 {
            let r = rng.next()
            // Up to 40 open at a time early on, up to the whole pool later (the table grows).
            let span = step < 30_000 ? 40 : pool.count
            let id = pool[Int(r >> 8 % UInt64(span))]
            switch r % 16 {
            case 0..<6:
                let end = ChannelEnd(actor: ActorID(Int(r >> 40 % 500)), generation: r >> 52)
                table[id] = end
                model[id] = end
            case 6..<10:
                table[id] = nil
                model[id] = nil
            case 10..<15:
                #expect(table[id] == model[id], "step \(step)")
            default:
                if r >> 20 % 50 == 0 {
                    table.removeAll()
                    model.removeAll()
                }
            }
            #expect(table.count == model.count && table.isEmpty == model.isEmpty)
            if step % 997 == 0 {
                let listed = table.entries
                #expect(listed.map(\.id) == model.keys.sorted())
                #expect(listed.allSatisfy { model[$0.id] == $0.end })
                #expect(pool.allSatisfy { table[$0] == model[$0] }, "step \(step)")
            }
        }
    }
}
