import Testing

@testable import JobSystem

/// `IDTable` (the node agent's operations: one entry inline, the rest in an array) answers
/// exactly as the `Dictionary` it replaced, over random sequences of inserts, updates,
/// removals and lookups, by key and by value, with the table often emptied down to its inline
/// entry and grown past it again.
@Suite struct IDTableTests {
    @Test(arguments: [UInt64(1), 2, 3, 4])
    func behavesAsADictionary(seed: UInt64) {
        var rng = SystemTestRNG(state: seed)
        var table = IDTable<Int>()
        var model: [UInt64: Int] = [:]
        for step in 0..<5_000 {
            // Keys from a small range, so hits, misses and reinsertions all happen often; every
            // few hundred steps the range shrinks to 3 keys, so the table keeps passing through
            // zero, one (inline only) and a few entries.
            let range: UInt64 = step % 400 < 100 ? 3 : 24
            let key = rng.next() % range
            switch rng.next() % 6 {
            case 0, 1:
                table[key] = step * 10_000
                model[key] = step * 10_000
            case 2:
                #expect(table.removeValue(forKey: key) == model.removeValue(forKey: key))
            case 3:
                table[key] = nil
                model[key] = nil
            case 4:
                if let i = table.index(of: key) {
                    #expect(table.key(at: i) == key)
                    // Read in place: the value the copying getter gives.
                    #expect(table.withValue(at: i) { $0 == model[key]! })
                    #expect(table.withValue(at: i) { $0 == table[valueAt: i] })
                    let doubled = table.update(at: i) { value -> Int in
                        value += 1
                        return value * 2
                    }
                    model[key]! += 1
                    #expect(doubled == model[key]! * 2)
                } else {
                    #expect(model[key] == nil)
                }
            default:
                // By value: the entry holding exactly this value, if any (values are unique:
                // each is 10,000 times the step that wrote it, plus far fewer increments).
                let wanted = model.min { $0.key < $1.key }?.value ?? -1  // not `first`: hash order varies by process
                let found = table.firstIndex { $0 == wanted }
                let expected = model.filter { $0.value == wanted }.map(\.key)
                #expect(found.map { table.key(at: $0) }.map { [$0] } ?? [] == expected)
            }
            #expect(table[key] == model[key])
            #expect(table.count == model.count)
            // The overflow gives its block back once it is empty (every heartbeat would read
            // its count in a cold block otherwise).
            if table.count <= 1 { #expect(table.overflowCapacity == 0) }
        }
        for key in UInt64(0)..<24 { #expect(table[key] == model[key]) }
        #expect(table.values.sorted() == model.values.sorted())
    }

    /// The inline entry's removal hands its place to the last of the others, and every entry
    /// stays reachable by key and by index.
    @Test func removingTheInlineEntryKeepsTheRest() {
        var table = IDTable<String>()
        for key in UInt64(10)..<15 { table[key] = "v\(key)" }
        #expect(table.count == 5)
        let inline = table.key(at: 0)
        #expect(table.removeValue(forKey: inline) == "v\(inline)")
        #expect(table.count == 4)
        for key in UInt64(10)..<15 where key != inline {
            let i = table.index(of: key)
            #expect(i != nil && table.key(at: i!) == key && table[valueAt: i!] == "v\(key)")
            #expect(table.withValue(at: i!) { $0 == "v\(key)" })
        }
        #expect(table.overflowCapacity >= 3)
        for key in UInt64(10)..<15 { table[key] = nil }
        #expect(table.overflowCapacity == 0)
        #expect(table.count == 0 && table.values.isEmpty && table.index(of: 10) == nil)
        table[7] = "again"
        #expect(table.count == 1 && table.index(of: 7) == 0 && table[7] == "again")
    }
}
