import Testing

@testable import JobSystem

/// `IDTable` (the node agent's operations and outstanding requests) answers exactly as the
/// `Dictionary` it replaced, over random sequences of inserts, updates, removals and lookups.
@Suite struct IDTableTests {
    @Test(arguments: [UInt64(1), 2, 3, 4])
    func behavesAsADictionary(seed: UInt64) {
        var rng = SystemTestRNG(state: seed)
        var table = IDTable<Int>()
        var model: [UInt64: Int] = [:]
        for step in 0..<5_000 {
            // Keys from a small range, so hits, misses and reinsertions all happen often.
            let key = rng.next() % 24
            switch rng.next() % 5 {
            case 0, 1:
                table[key] = step
                model[key] = step
            case 2:
                #expect(table.removeValue(forKey: key) == model.removeValue(forKey: key))
            case 3:
                table[key] = nil
                model[key] = nil
            default:
                if let i = table.index(of: key) {
                    table[valueAt: i] += 1
                    model[key]! += 1
                }
            }
            #expect(table[key] == model[key])
            #expect(table.count == model.count)
        }
        for key in UInt64(0)..<24 { #expect(table[key] == model[key]) }
        #expect(table.values.sorted() == model.values.sorted())
    }
}
