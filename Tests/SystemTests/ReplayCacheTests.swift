import PropertyBased
import Testing

@testable import JobSystem

/// The embedded store's replay cache (issue 11): a bounded, allocation-free table of keyed
/// 128-bit fingerprints with expiry through a ring and a heap of stragglers, which must answer
/// exactly as the rule `EmbeddedStore.rememberSignature` states (the rule the earlier forms
/// implemented), but for the negligible chance that two fingerprints agree.
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

    static func signature(_ n: Int) -> Signature {
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
        func run(seed: UInt64) throws -> (answers: [Bool], layout: [ReplayCache.Fingerprint]) {
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

    // MARK: Long sequences against a plain reference

    /// The same rule over whole signatures, with a set for membership: the reference for long
    /// sequences (the linear-scan `Model` is too slow for them).
    struct SetModel {
        var capacity: Int
        var live = Set<Signature>()
        var entries: [(signature: Signature, expiresAt: Int64, seq: Int)] = []
        var floor = Int64.min
        var seq = 0
        /// How often each rule fired (so a test can show it exercised them).
        var expired = 0, evicted = 0, refusedByFloor = 0, refusedAsRemembered = 0

        mutating func remember(_ signature: Signature, expiresAt: Int64, now: Int64) -> Bool {
            for e in entries where e.expiresAt < now {
                live.remove(e.signature)
                expired += 1
            }
            entries.removeAll { $0.expiresAt < now }
            guard expiresAt > floor else {
                refusedByFloor += 1
                return false
            }
            guard !live.contains(signature) else {
                refusedAsRemembered += 1
                return false
            }
            if entries.count >= max(1, capacity),
                let oldest = entries.min(by: { ($0.expiresAt, $0.seq) < ($1.expiresAt, $1.seq) })
            {
                guard oldest.expiresAt < expiresAt else {
                    floor = expiresAt
                    return true
                }
                entries.removeAll { $0.seq == oldest.seq }
                live.remove(oldest.signature)
                floor = max(floor, oldest.expiresAt)
                evicted += 1
            }
            entries.append((signature, expiresAt, seq))
            live.insert(signature)
            seq += 1
            return true
        }
    }

    /// One request of a generated sequence: at `now`, `signature` expiring at `expiresAt`.
    struct Request {
        var signature: Signature
        var expiresAt: Int64
        var now: Int64
    }

    /// Runs `requests` through a cache and the reference: every answer and count agree, the
    /// cache remembers exactly the signatures the reference does (checked on the recent ones
    /// every 500 requests), and it stays consistent. Returns the reference (for coverage) and
    /// the most stragglers the cache held at once.
    @discardableResult
    ///
    /// With `prepared`, the hint `prepare` comes before most requests: of the request's own
    /// signature (whose fingerprint `remember` then takes from it), of another request's (a
    /// hint not followed, which `remember` must not use), or of none.
    static func agree(
        seed: UInt64, capacity: Int, requests: [Request], capacityChanges: [Int: Int] = [:], prepared: Bool = false
    ) -> (model: SetModel, mostStragglers: Int) {
        var cache = ReplayCache(capacity: capacity, key: EmbeddedStore.replayCacheKey(seed: seed))
        var model = SetModel(capacity: capacity)
        var mostStragglers = 0
        for (k, r) in requests.enumerated() {
            if let c = capacityChanges[k] {
                cache.capacity = c
                model.capacity = c
            }
            if prepared {
                switch k % 4 {
                case 0, 1: cache.prepare(r.signature)
                case 2: cache.prepare(requests[(k &* 7919) % requests.count].signature)
                default: break
                }
            }
            let answer = cache.remember(r.signature, expiresAt: r.expiresAt, now: r.now)
            let expected = model.remember(r.signature, expiresAt: r.expiresAt, now: r.now)
            #expect(answer == expected, "request \(k) (seed \(seed))")
            #expect(cache.count == model.entries.count, "request \(k) (seed \(seed))")
            mostStragglers = max(mostStragglers, cache.stragglerCount)
            if k % 500 == 499 {
                for recent in requests[max(0, k - 400)...k] {
                    #expect(cache.contains(recent.signature) == model.live.contains(recent.signature))
                }
                #expect(cache.isConsistent())
            }
        }
        #expect(cache.isConsistent())
        return (model, mostStragglers)
    }

    /// A fleet's traffic: `nodes` nodes sign at seconds of their own clocks (most right, some a
    /// few seconds off, one far behind), requests arrive 10 to 100 ms after they were signed, so
    /// expiries (the signed second plus the window, to its last microsecond) come almost in
    /// order; one request in twenty is a replay of an earlier one (recent or long past).
    static func fleetTraffic(seed: UInt64, nodes: Int, count: Int, window: Int64) -> [Request] {
        var rng = SystemTestRNG(state: seed)
        let skews: [Int64] = (0..<nodes).map { n in
            n == 0 ? -Int64(window / 2) : (rng.next() % 4 == 0 ? Int64(rng.next() % 7) - 3 : 0)
        }
        var now: Int64 = 1_000_000_000
        var sent: [Request] = []
        var requests: [Request] = []
        requests.reserveCapacity(count)
        while requests.count < count {
            now += Int64(rng.next() % 200_000)
            if !sent.isEmpty, rng.next() % 20 == 0 {
                let back = Int(rng.next() % UInt64(min(sent.count, rng.next() % 2 == 0 ? 50 : 5_000)))
                var replay = sent[sent.count - 1 - back]
                replay.now = now
                requests.append(replay)
                continue
            }
            let node = Int(rng.next() % UInt64(nodes))
            let signedAt = (now - 10_000 - Int64(rng.next() % 90_000)) / 1_000_000 + skews[node]
            let request = Request(
                signature: Signature(bytes: rng.bytes(count: 64))!, expiresAt: (signedAt + window) * 1_000_000 + 999_999, now: now)
            sent.append(request)
            requests.append(request)
        }
        return requests
    }

    /// Fleet-like traffic at three sizes of cache: one that expiry alone keeps below its bound,
    /// one that must forget early (the floor rises and refuses late stragglers), and a tiny one;
    /// now and then the capacity changes. The runs go through the ring and the heap, expire,
    /// forget early, and refuse replays and signatures under the floor: all as the reference.
    @Test func agreesWithTheReferenceOnFleetTraffic() {
        var mostStragglers = 0
        var total = SetModel(capacity: 0)
        for seed in UInt64(1)...6 {
            let requests = Self.fleetTraffic(seed: seed, nodes: 20, count: 8_000, window: 30)
            for capacity in [5, 150, 2_000] {
                let changes = seed % 3 == 0 ? [3_000: capacity / 2, 6_000: capacity * 2] : [:]
                let run = Self.agree(seed: seed, capacity: capacity, requests: requests, capacityChanges: changes)
                mostStragglers = max(mostStragglers, run.mostStragglers)
                total.expired += run.model.expired
                total.evicted += run.model.evicted
                total.refusedByFloor += run.model.refusedByFloor
                total.refusedAsRemembered += run.model.refusedAsRemembered
            }
        }
        #expect(mostStragglers > 0)
        #expect(total.expired > 0 && total.evicted > 0 && total.refusedByFloor > 0 && total.refusedAsRemembered > 0)
    }

    /// `prepare` (the handler's hint as soon as the headers are parsed) changes no answer,
    /// whether the signature it was given is then remembered, another is, or none.
    @Test func preparingChangesNoAnswer() {
        for seed in UInt64(1)...4 {
            let requests = Self.fleetTraffic(seed: seed, nodes: 20, count: 6_000, window: 30)
            for capacity in [5, 150, 2_000] {
                Self.agree(seed: seed, capacity: capacity, requests: requests, prepared: true)
            }
        }
    }

    /// A node that chooses its timestamps to hurt: expiries in falling runs (every entry a
    /// straggler), equal expiries split between the ring and the heap, far future and far past
    /// (`Int64.max`, the floor's `Int64.min`), the clock jumping, and many replays: the same
    /// answers as the reference.
    @Test func agreesWithTheReferenceUnderHostileExpiries() {
        for seed in UInt64(1)...8 {
            var rng = SystemTestRNG(state: seed &* 0x5DEE_CE66)
            var now: Int64 = 0
            var pool: [Signature] = []
            var requests: [Request] = []
            var falling: Int64 = 5_000
            for k in 0..<6_000 {
                if rng.next() % 50 == 0 { now += Int64(rng.next() % 400) }  // the clock jumps
                let expiresAt: Int64
                switch rng.next() % 8 {
                case 0, 1:
                    falling -= Int64(rng.next() % 3)  // a falling run: stragglers
                    expiresAt = now + falling
                case 2: expiresAt = now + 100  // many equal expiries
                case 3: expiresAt = .max
                case 4: expiresAt = Int64.min + Int64(rng.next() % 10)
                default: expiresAt = now + Int64(rng.next() % 600) - 100
                }
                if k % 700 == 0 { falling = 5_000 }
                let signature: Signature
                if !pool.isEmpty, rng.next() % 3 == 0 {
                    signature = pool[Int(rng.next() % UInt64(pool.count))]  // a replay, maybe of another expiry
                } else {
                    signature = Signature(bytes: rng.bytes(count: 64))!
                    pool.append(signature)
                    if pool.count > 300 { pool.removeFirst(100) }
                }
                requests.append(Request(signature: signature, expiresAt: expiresAt, now: now))
            }
            let run = Self.agree(seed: seed, capacity: [3, 40, 250, 10_000][Int(seed % 4)], requests: requests)
            #expect(run.mostStragglers > 0)
        }
    }

    /// Equal expiries in the ring and the heap: the earliest remembered goes first. With room
    /// for three, A (10) and B (20) go to the ring and C (10, after B) to the heap; D forgets A
    /// (tied with C, remembered earlier), E then forgets C, and B stays.
    @Test func forgetsTiesInArrivalOrderAcrossRingAndHeap() {
        var cache = ReplayCache(capacity: 3, key: EmbeddedStore.replayCacheKey(seed: 9))
        func remember(_ s: Signature, expiresAt: Int64, now: Int64) -> Bool { cache.remember(s, expiresAt: expiresAt, now: now) }
        let (a, b, c, d, e) = (Self.signature(1), Self.signature(2), Self.signature(3), Self.signature(4), Self.signature(5))
        #expect(remember(a, expiresAt: 10, now: 0))
        #expect(remember(b, expiresAt: 20, now: 0))
        #expect(remember(c, expiresAt: 10, now: 0))
        #expect(cache.stragglerCount == 1)
        #expect(remember(d, expiresAt: 30, now: 0))
        #expect(!cache.contains(a) && cache.contains(c) && cache.forgottenThrough == 10)
        #expect(remember(e, expiresAt: 40, now: 0))
        #expect(!cache.contains(c) && cache.contains(b) && cache.contains(d) && cache.contains(e))
        #expect(cache.forgottenThrough == 10)
        #expect(cache.isConsistent())
    }

    /// Expiry edges across both structures: an entry is live through its instant and gone one
    /// microsecond later, whether it waits in the ring or the heap, and `Int64.max` never expires.
    @Test func expiresAtItsInstantInRingAndHeap() {
        var cache = ReplayCache(capacity: 100, key: EmbeddedStore.replayCacheKey(seed: 4))
        func remember(_ s: Signature, expiresAt: Int64, now: Int64) -> Bool { cache.remember(s, expiresAt: expiresAt, now: now) }
        let ring = Self.signature(1), heap = Self.signature(2), forever = Self.signature(3), later = Self.signature(4)
        #expect(remember(ring, expiresAt: 500, now: 0))
        #expect(remember(later, expiresAt: 900, now: 0))
        #expect(remember(heap, expiresAt: 500, now: 0))  // below the watermark (900): a straggler
        #expect(remember(forever, expiresAt: .max, now: 0))
        #expect(cache.stragglerCount == 1)
        #expect(!remember(ring, expiresAt: 500, now: 500) && !remember(heap, expiresAt: 500, now: 500))
        #expect(cache.count == 4)
        #expect(remember(Self.signature(5), expiresAt: 2_000, now: 501))
        #expect(!cache.contains(ring) && !cache.contains(heap) && cache.contains(later) && cache.count == 3)
        #expect(remember(Self.signature(6), expiresAt: 3_000, now: .max))
        #expect(cache.contains(forever) && cache.count == 2)
        #expect(cache.isConsistent())
    }

    /// However the traffic comes, in order or every entry a straggler, the cache never holds more
    /// than its capacity, the table never has more slots than that bound needs at two thirds'
    /// load, and the ring never more room than the bound.
    @Test func arraysStopAtTheBound() {
        for capacity in [1, 7, 1_000, 3_000] {
            for falling in [false, true] {
                var cache = ReplayCache(capacity: capacity, key: EmbeddedStore.replayCacheKey(seed: 2))
                for i in 0..<20_000 {
                    let expiresAt: Int64 = falling ? 1_000_000 - Int64(i) : 1_000 + Int64(i / 3)
                    _ = cache.remember(Self.signature(i), expiresAt: expiresAt, now: 0)
                    #expect(cache.count <= capacity)
                }
                #expect(cache.count == capacity)
                #expect(cache.tableSize <= (3 * capacity + 1) / 2)
                #expect(cache.ringSize <= capacity)
                #expect(cache.isConsistent())
            }
        }
    }

    /// A copied cache shares its table until one of the two writes (`HugePageSlots` is a
    /// reference): after the copy, each answers fleet traffic as its own reference does, so
    /// neither sees the other's signatures or forgetting.
    @Test func copiesAnswerIndependently() {
        let requests = Self.fleetTraffic(seed: 9, nodes: 20, count: 6_000, window: 30)
        var first = ReplayCache(capacity: 300, key: EmbeddedStore.replayCacheKey(seed: 9))
        var firstModel = SetModel(capacity: 300)
        for r in requests[..<2_000] {
            let answer = first.remember(r.signature, expiresAt: r.expiresAt, now: r.now)
            #expect(answer == firstModel.remember(r.signature, expiresAt: r.expiresAt, now: r.now))
        }
        var second = first
        var secondModel = firstModel
        // The two go on with different halves of the rest, interleaved.
        for (k, r) in requests[2_000...].enumerated() {
            if k % 2 == 0 {
                let answer = first.remember(r.signature, expiresAt: r.expiresAt, now: r.now)
                #expect(answer == firstModel.remember(r.signature, expiresAt: r.expiresAt, now: r.now))
            } else {
                let answer = second.remember(r.signature, expiresAt: r.expiresAt, now: r.now)
                #expect(answer == secondModel.remember(r.signature, expiresAt: r.expiresAt, now: r.now))
            }
        }
        for r in requests {
            #expect(first.contains(r.signature) == firstModel.live.contains(r.signature))
            #expect(second.contains(r.signature) == secondModel.live.contains(r.signature))
        }
        #expect(first.isConsistent() && second.isConsistent())
        #expect(first.count == firstModel.entries.count && second.count == secondModel.entries.count)
    }

    /// At the default capacity the table grows to the 262,144 slots that the 150,000 it needs
    /// at two thirds' load take in a whole 2 MiB page (8-byte slots, on a huge page where the
    /// system gives them): 140,000 signatures, each expiring after the one before, leave
    /// exactly the last 100,000 remembered (the full cache forgets the earliest first), with
    /// prepared and unprepared requests alike, and the floor refuses the forgotten ones.
    @Test func aFullDefaultSizedTableKeepsTheLatest() {
        let capacity = EmbeddedStore.defaultReplayCacheCapacity
        var cache = ReplayCache(capacity: capacity, key: EmbeddedStore.replayCacheKey(seed: 3))
        func signature(_ i: Int) -> Signature {
            var bytes = [UInt8](repeating: 0x3C, count: 64)
            for b in 0..<4 { bytes[60 + b] = UInt8(truncatingIfNeeded: i >> (8 * b)) }
            return Signature(bytes: bytes)!
        }
        let total = 140_000
        for i in 0..<total {
            if i % 3 != 0 { cache.prepare(signature(i)) }
            let accepted = cache.remember(signature(i), expiresAt: 1_000 + Int64(i), now: 0)
            #expect(accepted)
        }
        #expect(cache.count == capacity)
        #expect(cache.tableSize == 262_144)
        #expect(ReplayCache.slotsOnWholePages((3 * capacity + 1) / 2) == 262_144)
        for i in stride(from: 0, to: total, by: 7) {
            #expect(cache.contains(signature(i)) == (i >= total - capacity), "signature \(i)")
        }
        let forgotten = cache.remember(signature(5), expiresAt: 1_005, now: 0)
        #expect(!forgotten)  // forgotten: under the floor
        let replay = cache.remember(signature(total - 1), expiresAt: 1_000 + Int64(total - 1), now: 0)
        #expect(!replay)  // remembered: a replay
        #expect(cache.isConsistent())
    }

    /// `HugePageSlots`: every slot starts as zero bytes (an empty fingerprint), a table of at
    /// least 2 MiB starts on a 2 MiB boundary (so its whole huge pages are its own) and a
    /// smaller one on a cache line; a copy holds the same slots in storage of its own.
    @Test func hugePageSlotsAreZeroedAndAligned() {
        for count in [0, 1, 16, 4_096, 131_071, 131_072, 150_000] {
            let slots = HugePageSlots<ReplayCache.Fingerprint>(zeroed: count)
            #expect(slots.count == count)
            let address = UInt(bitPattern: slots.base)
            #expect(address % (slots.isAdvised ? 2 << 20 : 64) == 0)
            #expect(slots.isAdvised == (count * 16 >= 2 << 20))
            #expect((0..<count).allSatisfy { slots.base[$0].isEmpty && slots.base[$0].high == 0 })
            for i in stride(from: 0, to: count, by: 97) { slots.base[i] = ReplayCache.Fingerprint(low: UInt64(i) | 1, high: UInt64(i)) }
            let copy = HugePageSlots(copying: slots)
            #expect(copy.base != slots.base || count == 0)
            #expect((0..<count).allSatisfy { copy.base[$0] == slots.base[$0] })
        }
    }

    /// `slotsOnWholePages`: a table under 1 MiB keeps the slots it asked for; from 1 MiB (half
    /// a 2 MiB page) it gets every slot of its whole 2 MiB pages (counted here independently:
    /// pages of 262,144 8-byte slots), never fewer than it asked for, and a table that is
    /// already whole pages keeps its size.
    @Test func tablesOnHugePagesFillTheirPages() {
        #expect(MemoryLayout<ReplayCache.Slot>.stride == 8)
        let perPage = (2 << 20) / 8
        for slots in [0, 1, 16, 1_500, perPage / 2 - 1, perPage / 2, perPage - 1, perPage, perPage + 1, 150_000, 2 * perPage, 2 * perPage + 5, 1_000_000] {
            let filled = ReplayCache.slotsOnWholePages(slots)
            if slots < perPage / 2 {
                #expect(filled == slots)
            } else {
                let pages = (slots + perPage - 1) / perPage
                #expect(filled == pages * perPage)
                #expect(filled >= slots && filled - slots < perPage)
            }
        }
    }

    /// The table keeps only a fingerprint's top 32 bits (its tag) and where the whole
    /// fingerprint lies: signatures whose fingerprints share a tag (found by hashing enough of
    /// them: about eight pairs among 2^18) are told apart by the whole fingerprint, in the ring
    /// and in the heap, through removals that shift one past the other: each is remembered on
    /// its own, its replay refused, the other's never, and each forgotten alone, as the
    /// reference answers.
    @Test func sharedTagsAreToldApartByTheWholeFingerprint() {
        let key = EmbeddedStore.replayCacheKey(seed: 4)
        let probe = ReplayCache(capacity: 1, key: key)
        func signature(_ i: Int) -> Signature {
            var bytes = [UInt8](repeating: 0x5A, count: 64)
            for b in 0..<4 { bytes[b] = UInt8(truncatingIfNeeded: i >> (8 * b)) }
            return Signature(bytes: bytes)!
        }
        var byTag: [UInt32: Int] = [:]
        var pairs: [(Int, Int)] = []
        for i in 0..<(1 << 18) {
            let tag = probe.fingerprint(of: signature(i)).tag
            if let j = byTag[tag] { pairs.append((j, i)) } else { byTag[tag] = i }
        }
        #expect(pairs.count >= 2)
        for (a, b) in pairs {
            #expect(probe.fingerprint(of: signature(a)) != probe.fingerprint(of: signature(b)))
            // a in the ring, b a straggler, then a third in the ring; the clock forgets them
            // one by one, and a replay of each is refused while it is remembered.
            var requests: [Request] = []
            let late = Int64(2_000), early = Int64(1_000)
            requests.append(Request(signature: signature(a), expiresAt: late, now: 0))
            requests.append(Request(signature: signature(b), expiresAt: early, now: 0))
            requests.append(Request(signature: signature(b), expiresAt: early, now: 10))
            requests.append(Request(signature: signature(a), expiresAt: late, now: 10))
            requests.append(Request(signature: signature(a ^ 1), expiresAt: late + 1, now: 20))
            requests.append(Request(signature: signature(a), expiresAt: late, now: early + 1))  // b expired
            requests.append(Request(signature: signature(b), expiresAt: late + 5, now: early + 2))  // b again, fresh
            requests.append(Request(signature: signature(b), expiresAt: late + 5, now: late + 1))  // a expired
            requests.append(Request(signature: signature(a), expiresAt: late + 9, now: late + 2))
            for capacity in [1, 2, 3, 50] {
                Self.agree(seed: 4, capacity: capacity, requests: requests, prepared: capacity % 2 == 0)
            }
            // Both in one table at once, then each found and the other not after a removal.
            var cache = ReplayCache(capacity: 10, key: key)
            let firstAccepted = cache.remember(signature(a), expiresAt: 100, now: 0)
            let secondAccepted = cache.remember(signature(b), expiresAt: 200, now: 0)
            #expect(firstAccepted && secondAccepted)
            #expect(cache.contains(signature(a)) && cache.contains(signature(b)))
            let replayAccepted = cache.remember(signature(b), expiresAt: 200, now: 50)
            #expect(!replayAccepted)
            let thirdAccepted = cache.remember(signature(a ^ 2), expiresAt: 300, now: 150)  // forgets a
            #expect(thirdAccepted)
            #expect(!cache.contains(signature(a)) && cache.contains(signature(b)))
            #expect(cache.isConsistent())
        }
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

    /// SipHash-2-4-128 reference vectors (`vectors_sip128` of the reference's `vectors.h`; the
    /// tag's bytes, first to last). The 64-byte signatures the cache hashes take the same path
    /// as these (eight whole words, then the length word).
    @Test func sipHash128MatchesTheReference() {
        let hasher = SipHash24(k0: 0x0706_0504_0302_0100, k1: 0x0F0E_0D0C_0B0A_0908)
        func tag(_ n: Int) -> [UInt8] {
            let (low, high) = Array((0..<n).map { UInt8($0) }).withUnsafeBytes { hasher.hash128($0) }
            return (0..<8).map { UInt8(truncatingIfNeeded: low >> (8 * $0)) } + (0..<8).map { UInt8(truncatingIfNeeded: high >> (8 * $0)) }
        }
        #expect(tag(0) == [0xa3, 0x81, 0x7f, 0x04, 0xba, 0x25, 0xa8, 0xe6, 0x6d, 0xf6, 0x72, 0x14, 0xc7, 0x55, 0x02, 0x93])
        #expect(tag(8) == [0x3b, 0x62, 0xa9, 0xba, 0x62, 0x58, 0xf5, 0x61, 0x0f, 0x83, 0xe2, 0x64, 0xf3, 0x14, 0x97, 0xb4])
        #expect(tag(15) == [0x54, 0x93, 0xe9, 0x99, 0x33, 0xb0, 0xa8, 0x11, 0x7e, 0x08, 0xec, 0x0f, 0x97, 0xcf, 0xc3, 0xd9])
        #expect(tag(63) == [0x51, 0x50, 0xd1, 0x77, 0x2f, 0x50, 0x83, 0x4a, 0x50, 0x3e, 0x06, 0x9a, 0x97, 0x3f, 0xbd, 0x7c])
    }

    /// The straight-line form for 64 inline bytes (the cache's fingerprints) gives the tag the
    /// buffer form gives (which the reference vectors above pin), for seeded signatures and
    /// the all-zero and all-ones ones, under several keys.
    @Test func sipHash128OfSixtyFourInlineBytesIsTheBufferForm() {
        var rng = SystemTestRNG(state: 81)
        for k in 0..<8 {
            let hasher = k == 0
                ? SipHash24(k0: 0x0706_0504_0302_0100, k1: 0x0F0E_0D0C_0B0A_0908) : SipHash24(k0: rng.next(), k1: rng.next())
            var samples: [[UInt8]] = [[UInt8](repeating: 0, count: 64), [UInt8](repeating: 0xFF, count: 64), (0..<64).map { UInt8($0) }]
            for _ in 0..<200 { samples.append(rng.bytes(count: 64)) }
            for bytes in samples {
                let inline = Bytes64(bytes)!
                let buffer = bytes.withUnsafeBytes { hasher.hash128($0) }
                let straight = hasher.hash128(inline)
                #expect(straight.low == buffer.low && straight.high == buffer.high)
            }
        }
    }
}
