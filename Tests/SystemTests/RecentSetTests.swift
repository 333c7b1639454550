import Testing

@testable import JobSystem

/// `RecentSet` (a node's memory of finished claims) answers exactly as the plain design it
/// refines (a hashed set beside the insertion order, the older half dropped at twice the
/// capacity), below, across and above its linear-scan limit, through many trims.
@Suite struct RecentSetTests {
    /// The reference: the structure as it was before the linear-scan refinement.
    struct Reference {
        var members: Set<Int> = []
        var order: [Int] = []
        let capacity: Int
        func contains(_ e: Int) -> Bool { members.contains(e) }
        mutating func insert(_ e: Int) {
            guard members.insert(e).inserted else { return }
            order.append(e)
            if order.count >= 2 * capacity {
                for old in order[..<capacity] { members.remove(old) }
                order.removeFirst(capacity)
            }
        }
    }

    @Test(arguments: [1, 3, 8, 9, 20, 32, 33, 64, 65, 200])
    func answersAsTheReference(capacity: Int) {
        var set = RecentSet<Int>(capacity: capacity)
        var reference = Reference(capacity: capacity)
        var state: UInt64 = UInt64(capacity)
        for _ in 0..<20_000 {
            // Mostly fresh elements (trims happen), some repeats of recent ones.
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let r = Int(truncatingIfNeeded: state >> 33)
            let e = r % 4 == 0 ? r % 50 : r % 100_000
            #expect(set.contains(e) == reference.contains(e))
            set.insert(e)
            reference.insert(e)
            #expect(set.contains(e))
        }
        for e in 0..<100_000 where set.contains(e) != reference.contains(e) {
            Issue.record("membership of \(e) differs")
            break
        }
    }
}
