import PropertyBased
import Testing

@testable import JobSystem

/// The embedded store's replay cache (issue 11): a bounded, allocation-free table keyed by a
/// seeded SipHash, which must answer exactly as the rule `EmbeddedStore.rememberSignature`
/// states (the rule the earlier dictionary-plus-heap form implemented).
@Suite struct ReplayCacheTests {
    static let t0 = Timestamp(unixSeconds: 1_700_000_000)

    /// The rule of `rememberSignature`, written as plainly as possible (linear scans): forget
    /// what expired before now; refuse what expires by the floor or is remembered; when full,
    /// forget the earliest-expiring entry (ties: the earliest remembered) and raise the floor
    /// to its expiry, unless the new one expires no later, which is then accepted and sets the
    /// floor itself.
    struct Model {
        var capacity: Int
        var entries: [(signature: [UInt8], expiresAt: Int64, seq: Int)] = []
        var floor = Int64.min
        var seq = 0

        mutating func remember(_ signature: [UInt8], expiresAt: Int64, now: Int64) -> Bool {
            entries.removeAll { $0.expiresAt < now }
            guard expiresAt > floor, !entries.contains(where: { $0.signature == signature }) else { return false }
            if entries.count >= max(1, capacity),
                let oldest = entries.min(by: { ($0.expiresAt, $0.seq) < ($1.expiresAt, $1.seq) })
            {
                guard oldest.expiresAt < expiresAt else {
                    floor = expiresAt
                    return true
                }
                entries.removeAll { $0.seq == oldest.seq }
                floor = max(floor, oldest.expiresAt)
            }
            entries.append((signature, expiresAt, seq))
            seq += 1
            return true
        }
    }

    private static func signature(_ n: Int) -> Signature {
        var bytes = [UInt8](repeating: 0xA5, count: 64)
        bytes[63] = UInt8(truncatingIfNeeded: n)
        bytes[62] = UInt8(truncatingIfNeeded: n >> 8)
        return Signature(bytes: bytes)!
    }

    /// Random traffic over a small pool of signatures (so replays are frequent), small
    /// capacities (so the bound is reached and changed), expiries around the clock (so entries
    /// expire, tie and precede the floor): every answer and every count equals the model's,
    /// and the table, entries and heap stay consistent.
    @Test func answersAsTheRuleStates() async {
        await propertyCheck(
            count: 150, input: Gen.uint64(), Gen.int(in: 0...(1 << 20)).array(of: 50...400)
        ) { seed, ops in
            var store = EmbeddedStore(seed: seed)
            let firstCapacity = 1 + Int(seed % 6)
            store.replayCacheCapacity = firstCapacity
            var model = Model(capacity: firstCapacity)
            var now: Int64 = 0
            for op in ops {
                if op % 53 == 0 {  // now and then, the capacity changes (down as well as up)
                    let capacity = op % 7
                    store.replayCacheCapacity = capacity
                    model.capacity = capacity
                    continue
                }
                now += Int64(op % 5 == 0 ? (op >> 3) % 30 : 0)
                let n = (op >> 5) % 14
                let expiresAt = now + Int64((op >> 9) % 60) - 5
                let stored = try! store.rememberSignature(
                    Self.signature(n), expiresAt: Self.t0 + Interval(micros: expiresAt), now: Self.t0 + Interval(micros: now))
                let expected = model.remember(Self.signature(n).bytes, expiresAt: Self.t0.micros + expiresAt, now: Self.t0.micros + now)
                #expect(stored == expected)
                #expect(store.rememberedSignatureCount == model.entries.count)
            }
            #expect(store.replayCache.isConsistent())
        }
    }

    /// A replay is refused for as long as it is live, and accepted again only once it expired
    /// (the verifier's window refuses it by then anyway).
    @Test func refusesReplaysUntilExpiry() throws {
        var store = EmbeddedStore(seed: 7)
        let sig = Self.signature(1)
        let expiry = Self.t0 + .seconds(300)
        #expect(try store.rememberSignature(sig, expiresAt: expiry, now: Self.t0))
        #expect(try !store.rememberSignature(sig, expiresAt: expiry, now: Self.t0 + .seconds(1)))
        #expect(try !store.rememberSignature(sig, expiresAt: expiry, now: expiry))  // live through its instant
        #expect(store.rememberedSignatureCount == 1)
        // Past its expiry the entry is gone (and the count shows it).
        #expect(try store.rememberSignature(Self.signature(2), expiresAt: expiry + .seconds(300), now: expiry + Interval(micros: 1)))
        #expect(store.rememberedSignatureCount == 1)
        #expect(!store.replayCache.contains(sig))
    }

    /// Never more than the capacity, and the table never grows past what that bound needs,
    /// however many signatures arrive within one window.
    @Test func isBoundedInEntriesAndMemory() throws {
        var store = EmbeddedStore(seed: 3)
        store.replayCacheCapacity = 1_000
        for i in 0..<20_000 {
            _ = try store.rememberSignature(Self.signature(i), expiresAt: Self.t0 + .seconds(300) + Interval(micros: Int64(i % 97)), now: Self.t0)
            #expect(store.rememberedSignatureCount <= 1_000)
        }
        #expect(store.rememberedSignatureCount == 1_000)
        #expect(store.replayCache.tableSize <= 2_048)
        #expect(store.replayCache.isConsistent())
    }

    /// The same seed lays the table out alike on every run (the key is drawn from the seed, not
    /// from the process), and different seeds draw different keys.
    @Test func isDeterministicPerSeed() throws {
        func run(seed: UInt64) throws -> (answers: [Bool], layout: [Int32]) {
            var store = EmbeddedStore(seed: seed)
            store.replayCacheCapacity = 50
            var answers: [Bool] = []
            for i in 0..<300 {
                answers.append(try store.rememberSignature(
                    Self.signature(i % 80), expiresAt: Self.t0 + .seconds(Int64(i % 40)), now: Self.t0 + .seconds(Int64(i / 20))))
            }
            return (answers, store.replayCache.layout)
        }
        let a = try run(seed: 11), b = try run(seed: 11), c = try run(seed: 12)
        #expect(a.answers == b.answers && a.layout == b.layout)
        #expect(a.answers == c.answers)  // answers never depend on the layout
        #expect(EmbeddedStore.replayCacheKey(seed: 11) != EmbeddedStore.replayCacheKey(seed: 12))
    }

    /// Signatures that differ only in their last bytes (what an unkeyed, truncating hash would
    /// pile into one bucket) spread over the table: no lookup probes far.
    @Test func spreadsSignaturesANodeCouldChoose() throws {
        var store = EmbeddedStore(seed: 5)
        for i in 0..<10_000 {
            #expect(try store.rememberSignature(Self.signature(i), expiresAt: Self.t0 + .seconds(300), now: Self.t0))
        }
        #expect(store.replayCache.longestProbe < 64)
        #expect(store.replayCache.isConsistent())
    }

    /// SipHash-2-4 reference vectors (key 00…0f, messages 00…(n-1); Aumasson and Bernstein's
    /// `vectors.h`).
    @Test func sipHashMatchesTheReference() {
        let hasher = SipHash24(k0: 0x0706_0504_0302_0100, k1: 0x0F0E_0D0C_0B0A_0908)
        func hash(_ n: Int) -> UInt64 { Array((0..<n).map { UInt8($0) }).withUnsafeBytes { hasher.hash($0) } }
        #expect(hash(0) == 0x726F_DB47_DD0E_0E31)
        #expect(hash(1) == 0x74F8_39C5_93DC_67FD)
        #expect(hash(15) == 0xA129_CA61_49BE_45E5)
    }
}
