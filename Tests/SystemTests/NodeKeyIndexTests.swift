import Testing

@testable import JobSystem

/// The embedded store's nodes by public key (`NodeKeyIndex`), against a `Dictionary` as the
/// model: seeded sequences of registrations, re-registrations, deletions and lookups of present
/// and absent keys, through every growth, with the table checked (every key found from its
/// home, load at most three quarters) as it goes.
@Suite("Node key index")
struct NodeKeyIndexTests {
    static func key(_ rng: inout SystemTestRNG) -> PublicKey {
        PublicKey(bytes: rng.bytes(count: 32))!
    }

    /// Keys that agree in their first 24 bytes and differ only in the last eight: the hash must
    /// spread them as well (every word reaches the position).
    static func crowdedKey(_ n: Int) -> PublicKey {
        var bytes = [UInt8](repeating: 0x5A, count: 32)
        for k in 0..<8 { bytes[24 + k] = UInt8(truncatingIfNeeded: n >> (8 * k)) }
        return PublicKey(bytes: bytes)!
    }

    @Test func answersAsADictionary() {
        for seed in UInt64(1)...12 {
            var rng = SystemTestRNG(state: seed)
            var index = NodeKeyIndex(key: EmbeddedStore.nodeKeyIndexKey(seed: seed))
            var model: [PublicKey: Int] = [:]
            var keys: [PublicKey] = []
            let steps = 3_000 + Int(seed) * 400
            for step in 0..<steps {
                let op = rng.next() % 10
                if op < 5 || keys.isEmpty {  // a new key (a registration)
                    let key = seed % 3 == 0 ? Self.crowdedKey(keys.count) : Self.key(&rng)
                    keys.append(key)
                    index[key] = step
                    model[key] = step
                } else if op < 6 {  // a key given a new handle
                    let key = keys[Int(rng.next() % UInt64(keys.count))]
                    index[key] = step
                    model[key] = step
                } else if op < 8 {  // a deletion (sometimes of a key deleted already)
                    let key = keys[Int(rng.next() % UInt64(keys.count))]
                    index[key] = nil
                    model[key] = nil
                } else {  // lookups: a known key, and a key never put in
                    let key = keys[Int(rng.next() % UInt64(keys.count))]
                    #expect(index[key] == model[key], "seed \(seed) step \(step)")
                    let absent = Self.key(&rng)
                    #expect(index[absent] == nil)
                    index.prefetch(absent)  // a hint only
                }
                #expect(index.count == model.count, "seed \(seed) step \(step)")
                if step % 250 == 0 { #expect(index.isConsistent(), "seed \(seed) step \(step)") }
            }
            for key in keys { #expect(index[key] == model[key]) }
            #expect(index.isConsistent())
        }
    }

    /// `prepare` (the lookup the store does as soon as a request's headers are parsed, kept for
    /// the lookup after the verification) answers as the model, and so does every later lookup,
    /// whatever changed in between: the prepared key deleted, given a new handle, re-added,
    /// other keys added through a growth or removed, or another key looked up. A memo that
    /// outlived a change would answer the old handle here.
    @Test func preparedLookupsAnswerAsADictionary() {
        for seed in UInt64(1)...8 {
            var rng = SystemTestRNG(state: seed &* 31)
            var index = NodeKeyIndex(key: EmbeddedStore.nodeKeyIndexKey(seed: seed))
            var model: [PublicKey: Int] = [:]
            var keys: [PublicKey] = []
            var prepares = 0, changedAfterPrepare = 0
            for step in 0..<4_000 {
                if keys.isEmpty || rng.next() % 4 == 0 {
                    let key = Self.key(&rng)
                    keys.append(key)
                    index[key] = step
                    model[key] = step
                }
                // Prepare a known key (present or deleted) or, now and then, one never put in.
                let prepared = rng.next() % 8 == 0 ? Self.key(&rng) : keys[Int(rng.next() % UInt64(keys.count))]
                #expect(index.prepare(prepared, hash: index.prefetch(prepared)) == model[prepared], "seed \(seed) step \(step)")
                prepares += 1
                // Then, sometimes, a change before the lookups: of the prepared key itself, or
                // of another (a registration may grow the table).
                switch rng.next() % 6 {
                case 0:
                    index[prepared] = nil
                    model[prepared] = nil
                    changedAfterPrepare += 1
                case 1:
                    index[prepared] = step &+ 100_000
                    model[prepared] = step &+ 100_000
                    changedAfterPrepare += 1
                case 2:
                    let other = Self.key(&rng)
                    keys.append(other)
                    index[other] = step &+ 200_000
                    model[other] = step &+ 200_000
                case 3:
                    let other = keys[Int(rng.next() % UInt64(keys.count))]
                    index[other] = nil
                    model[other] = nil
                default:
                    break
                }
                #expect(index[prepared] == model[prepared], "seed \(seed) step \(step)")
                let other = keys[Int(rng.next() % UInt64(keys.count))]
                #expect(index[other] == model[other], "seed \(seed) step \(step)")
                #expect(index[prepared] == model[prepared], "seed \(seed) step \(step)")
                #expect(index.count == model.count)
                if step % 500 == 0 { #expect(index.isConsistent()) }
            }
            for key in keys { #expect(index[key] == model[key]) }
            #expect(prepares == 4_000 && changedAfterPrepare > 1_000)
        }
    }

    /// The keys' table starts on a cache line and its slots are 32 bytes, so no key straddles
    /// two lines (two to a line); and since the tables are references copied before a write
    /// (not `Array`s), a copied index and the original then answer each as its own model, with
    /// insertions (through growth), re-registrations and removals on either side.
    @Test func keysLieOnLinesAndCopiesAnswerIndependently() {
        var rng = SystemTestRNG(state: 31)
        var first = NodeKeyIndex(key: EmbeddedStore.nodeKeyIndexKey(seed: 31))
        var firstModel: [PublicKey: Int] = [:]
        let keys = (0..<3_000).map { _ in Self.key(&rng) }
        for (handle, key) in keys[..<1_000].enumerated() {
            first[key] = handle
            firstModel[key] = handle
        }
        let layout = first.keySlotAlignment
        #expect(layout.address % 64 == 0 && layout.stride == 32)
        var second = first
        var secondModel = firstModel
        for step in 0..<6_000 {
            let key = keys[Int(rng.next() % UInt64(keys.count))]
            let value: Int? = rng.next() % 3 == 0 ? nil : step
            if step % 2 == 0 {
                first[key] = value
                firstModel[key] = value
            } else {
                second[key] = value
                secondModel[key] = value
            }
            if step % 500 == 0 { #expect(first.isConsistent() && second.isConsistent()) }
        }
        for key in keys {
            #expect(first[key] == firstModel[key])
            #expect(second[key] == secondModel[key])
        }
        #expect(first.count == firstModel.count && second.count == secondModel.count)
        #expect(first.isConsistent() && second.isConsistent())
        #expect(first.keySlotAlignment.address % 64 == 0 && second.keySlotAlignment.address % 64 == 0)
    }

    /// The handles of a fleet's worth of keys, then all removed: each removal keeps the others
    /// findable (backward shift), and the table ends empty.
    @Test func removalsKeepTheRestFindable() {
        var rng = SystemTestRNG(state: 77)
        var index = NodeKeyIndex(key: EmbeddedStore.nodeKeyIndexKey(seed: 77))
        let keys = (0..<2_000).map { _ in Self.key(&rng) }
        for (handle, key) in keys.enumerated() { index[key] = handle }
        for (k, key) in keys.enumerated() {
            index[key] = nil
            if k % 97 == 0 {
                #expect(index.isConsistent())
                for (handle, other) in keys.enumerated() { #expect(index[other] == (handle > k ? handle : nil)) }
            }
        }
        #expect(index.count == 0 && index.isConsistent())
    }

    /// Keys that differ only in their last word, and sequential keys, still spread: no probe
    /// run grows long (linear probing at three quarters' load: a few dozen at most).
    @Test func spreadsKeysThatDifferInOneWord() {
        var index = NodeKeyIndex(key: EmbeddedStore.nodeKeyIndexKey(seed: 5))
        for n in 0..<10_000 { index[Self.crowdedKey(n)] = n }
        #expect(index.isConsistent())
        #expect(index.longestProbe < 64)
        for n in 0..<10_000 { #expect(index[Self.crowdedKey(n)] == n) }
    }

    /// The store keeps finding nodes by key through registrations and lookups: its
    /// `node(publicKey:)` and `nodeCaller(publicKey:)` answer the registered node, and nil for
    /// another key, with the hint given or not.
    @Test func storeFindsNodesByKey() throws {
        var store = EmbeddedStore(seed: 9)
        var rng = SystemTestRNG(state: 9)
        var registered: [(PublicKey, NodeID)] = []
        for n in 0..<300 {
            let key = Self.key(&rng)
            let node = try store.registerNode(NodeRegistration(
                publicKey: key, claimCode: "C\(n)", name: "n\(n)", totalCores: 4, maxParallel: 2, platform: "linux", version: "1"))
            registered.append((key, node.node.id))
        }
        for (k, (key, id)) in registered.enumerated() {
            if k % 2 == 0 { store.prepareToAuthenticate(publicKey: key, signature: nil) }
            #expect(store.node(publicKey: key)?.id == id)
            #expect(store.nodeCaller(publicKey: key)?.id == id)
        }
        #expect(store.node(publicKey: Self.key(&rng)) == nil)
        #expect(store.nodeByKey.isConsistent())
    }
}
