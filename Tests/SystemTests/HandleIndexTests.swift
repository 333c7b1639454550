import Testing

@testable import JobSystem

/// The embedded store's `id → handle` index (`HandleIndex`), against a dictionary as the model:
/// inserts through several growths, lookups of present and absent ids, and removals (the
/// backward shift must keep every other id findable).
@Suite("Handle index")
struct HandleIndexTests {
    /// Ids as the store draws them (version-4 UUIDs from its SplitMix64 stream).
    static func ids(_ count: Int, seed: UInt64) -> [Identifier] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { _ in Identifier.random(using: &rng) }
    }

    @Test func findsEveryInsertedIdAndNoOther() {
        let ids = Self.ids(5_000, seed: 3)
        var index = HandleIndex()
        for (handle, id) in ids.enumerated() {
            index.insert(id, handle: handle) { ids[$0] }
        }
        #expect(index.count == ids.count)
        for (handle, id) in ids.enumerated() {
            #expect(index.find(id, id: { ids[$0] }) == handle)
        }
        for absent in Self.ids(1_000, seed: 4) {
            #expect(index.find(absent, id: { ids[$0] }) == nil)
        }
        // At most half full, 4 bytes a slot.
        #expect(index.byteCount <= 4 * 4 * ids.count + 64)
    }

    /// `reserve` grows the table once for a batch (as a job's chunks are inserted): the inserts
    /// it was reserved for do not grow it again, a reserve for what fits already changes
    /// nothing, and every id is found as without it (prefetching a home slot is only a hint).
    @Test func reserveGrowsOnceForTheBatchAndFindsTheSame() {
        let ids = Self.ids(4_000, seed: 8)
        var index = HandleIndex()
        var handle = 0
        for batch in [1, 7, 100, 900, 2_992] {
            index.reserve(handle + batch) { ids[$0] }
            let reserved = index.byteCount
            #expect(reserved >= 2 * 4 * (handle + batch))
            for _ in 0..<batch {
                index.prefetchHome(ids[handle])
                index.insert(ids[handle], handle: handle) { ids[$0] }
                handle += 1
            }
            #expect(index.byteCount == reserved, "batch of \(batch) grew the table after its reserve")
            index.reserve(handle) { ids[$0] }
            #expect(index.byteCount == reserved)
        }
        #expect(index.count == ids.count)
        for (h, id) in ids.enumerated() { #expect(index.find(id, id: { ids[$0] }) == h) }
        for absent in Self.ids(500, seed: 9) { #expect(index.find(absent, id: { ids[$0] }) == nil) }
    }

    @Test func removalKeepsTheOthersFindable() {
        let ids = Self.ids(3_000, seed: 5)
        var index = HandleIndex()
        for (handle, id) in ids.enumerated() {
            index.insert(id, handle: handle) { ids[$0] }
        }
        var model: [Identifier: Int] = [:]
        for (handle, id) in ids.enumerated() { model[id] = handle }
        // Remove every third id, then every fifth of the rest, checking all ids each round.
        for stride in [3, 5] {
            for (handle, id) in ids.enumerated() where handle % stride == 0 && model[id] != nil {
                index.remove(id) { ids[$0] }
                model[id] = nil
            }
            #expect(index.count == model.count)
            for (handle, id) in ids.enumerated() {
                #expect(index.find(id, id: { ids[$0] }) == model[id], "id #\(handle)")
            }
        }
        // Removing an absent id changes nothing.
        index.remove(Self.ids(1, seed: 99)[0]) { ids[$0] }
        #expect(index.count == model.count)
    }

    /// Colliding home slots (ids differing only in bits the hash ignores do not exist: both
    /// halves are mixed), so this forces long probe runs with a tiny table instead: removal in
    /// the middle of a run wrapping around the end of the table.
    @Test func probeRunsWrapAroundAndSurviveRemoval() {
        let ids = Self.ids(7, seed: 11)
        var index = HandleIndex()
        for (handle, id) in ids.enumerated() {
            index.insert(id, handle: handle) { ids[$0] }
        }
        for victim in [3, 0, 6] {
            index.remove(ids[victim]) { ids[$0] }
            for (handle, id) in ids.enumerated() {
                let removed = [3, 0, 6].prefix(through: [3, 0, 6].firstIndex(of: victim)!).contains(handle)
                #expect(index.find(id, id: { ids[$0] }) == (removed ? nil : handle))
            }
        }
    }
}
