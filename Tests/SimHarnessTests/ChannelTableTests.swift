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

    /// What `prefetch` asks for is where each lookup starts: the home slot, from which the probe
    /// reaches the id's slot in fewer steps than there are entries (one slot on for each entry
    /// of the run before it), over a table's growth; most ids sit at their home.
    @Test func prefetchAddressIsWhereTheProbeStarts() {
        var rng = Xoshiro256StarStar(seed: 5, stream: 11)
        var table = ChannelTable()
        var ids: [NodeID] = []
        for n in 0..<2_000 {
            let id = NodeID(Identifier.random(using: &rng))
            ids.append(id)
            table[id] = ChannelEnd(actor: ActorID(n), generation: UInt64(n))
            if n % 97 == 0 || n == 1_999 {
                var atHome = 0
                for id in ids {
                    guard let found = table.slotAddress(of: id) else {
                        Issue.record("an inserted id is missing")
                        continue
                    }
                    // The found slot is `distance` slots on from where the probe starts, around
                    // the table's end.
                    let slotsOn = table.probeStart(id).distance(to: found.address) / ChannelTable.slotStride
                    #expect(found.distance < table.count)
                    #expect((slotsOn + table.capacity) % table.capacity == found.distance)
                    if found.distance == 0 { atHome += 1 }
                }
                #expect(atHome * 2 > ids.count)
            }
        }
    }
}
