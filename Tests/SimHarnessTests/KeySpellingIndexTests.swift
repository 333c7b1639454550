import Engine
import JobSystem
import Testing

@testable import SimHarness

/// The heartbeat table's index of key spellings gives the slots a `[String: Int]` made on first
/// use gives, over seeded sequences of spellings: base64 keys, their near misses, and odd ones.
@Suite("Key spelling index")
struct KeySpellingIndexTests {
    /// A spelling: mostly a node key as the header carries it, else one of the same with a
    /// character changed, cut short or lengthened, or something short and odd.
    static func spelling(_ rng: inout SplitMix64, keys: [String]) -> String {
        let key = keys[Int(rng.next() % UInt64(keys.count))]
        switch rng.next() % 8 {
        case 0:
            var chars = Array(key)
            chars[Int(rng.next() % UInt64(chars.count))] = Array("Aa+/=é0")[Int(rng.next() % 7)]
            return String(chars)
        case 1: return String(key.dropLast(Int(rng.next() % 4)))
        case 2: return key + String(repeating: "=", count: Int(rng.next() % 3))
        case 3: return ["", "a", "é", "12345678", "123456789", "key"][Int(rng.next() % 6)]
        default: return key
        }
    }

    @Test(arguments: [UInt64(1), 2, 3, 4])
    func theIndexGivesTheSlotsADictionaryGives(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        // Enough keys to grow the table several times.
        let keys = (0..<700).map { _ in PublicKey(storage: Bytes32((0..<32).map { _ in UInt8(truncatingIfNeeded: rng.next()) })!).base64 }
        var index = KeySpellingIndex()
        var reference: [String: Int] = [:]
        // Each slot's time as a plain array beside the dictionary: nil until one is set.
        var times: [SimInstant?] = []
        for step in 0..<20_000 {
            let s = Self.spelling(&rng, keys: keys)
            switch rng.next() % 4 {
            case 0:
                #expect(index.find(s) == reference[s])
            case 1:
                // A hint that is right, wrong, out of range or negative: the same slot.
                let hint = Int(rng.next() % UInt64(reference.count + 3)) - 1
                let expected = reference[s] ?? reference.count
                if reference[s] == nil { times.append(nil) }
                reference[s] = expected
                #expect(index.slot(s, hint: rng.next() % 2 == 0 ? expected : hint) == expected)
            default:
                let expected = reference[s] ?? reference.count
                if reference[s] == nil { times.append(nil) }
                reference[s] = expected
                let slot = index.slot(s)
                #expect(slot == expected)
                if rng.next() % 2 == 0 {
                    let t = SimInstant(nanoseconds: Int64(step) * 1_000_003 - 5_000_000)
                    index.setTime(slot, t)
                    times[slot] = t
                }
            }
            #expect(index.count == reference.count)
            if !times.isEmpty {
                let probe = Int(rng.next() % UInt64(times.count))
                #expect(index.time(probe) == times[probe])
            }
        }
        for (s, slot) in reference { #expect(index.find(s) == slot && index.time(slot) == times[slot]) }
        #expect(index.find("never sent") == nil)
        #expect(index.isConsistent())
    }

    /// A copy of the index (the observer is a value) is independent of the original: times
    /// and slots set on one are not seen by the other, and both stay consistent.
    @Test func copiesAreIndependent() {
        var a = KeySpellingIndex()
        let long = String(repeating: "k", count: 70)
        for n in 0..<100 { _ = a.slot("key-\(n)") }
        _ = a.slot(long)
        a.setTime(3, SimInstant(nanoseconds: 30))
        var b = a
        b.setTime(3, SimInstant(nanoseconds: 31))
        b.setTime(100, SimInstant(nanoseconds: 7))
        #expect(b.slot("new") == 101)
        for n in 101..<300 { _ = b.slot("more-\(n)") }
        #expect(a.time(3) == SimInstant(nanoseconds: 30) && a.time(100) == nil && a.find("new") == nil && a.count == 101)
        #expect(b.time(3) == SimInstant(nanoseconds: 31) && b.time(100) == SimInstant(nanoseconds: 7) && b.find(long) == 100)
        #expect(a.isConsistent() && b.isConsistent())
    }

    /// Thousands of spellings, many alike: the probe passes others by their tags and still
    /// finds each, and the table stays consistent through every growth.
    @Test func crowdedTablesFindEverySpelling() {
        var index = KeySpellingIndex()
        var reference: [String] = []
        for n in 0..<5_000 {
            let s = n % 3 == 0 ? String(n) : "node-key-\(n)-" + String(repeating: "x", count: n % 50)
            #expect(index.slot(s) == reference.count)
            reference.append(s)
            if n & (n - 1) == 0 { #expect(index.isConsistent()) }
        }
        for (slot, s) in reference.enumerated() { #expect(index.find(s) == slot && index.slot(s) == slot) }
        #expect(index.find("node-key-1-y") == nil && index.count == reference.count && index.isConsistent())
    }

    /// Spellings that differ only past their 8-byte words, or only in length, have slots of
    /// their own; so do two spellings of one Unicode character (bytes are compared, not
    /// characters: only ASCII keys are ever recorded, where the two agree).
    @Test func spellingsThatDifferInAnyByteHaveSlotsOfTheirOwn() {
        var index = KeySpellingIndex()
        let spellings = ["", "x", "12345678", "12345678x", "12345678y", "123456789", "1234567", "é", "e\u{301}"]
        for (k, s) in spellings.enumerated() { #expect(index.slot(s) == k) }
        for (k, s) in spellings.enumerated() { #expect(index.find(s) == k && index.slot(s) == k) }
        #expect(index.count == spellings.count)
    }
}
