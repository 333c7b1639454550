import Engine
import JobSystem
import Testing

@testable import SimHarness

/// The paged chunk ledger answers what the plain per-chunk record it replaced answered, over
/// long seeded sequences of the changes the observer makes, and keeps a page of times only
/// while one of its chunks is pending or running.
@Suite("Chunk ledger")
struct ChunkLedgerTests {
    /// The record the observer kept before, field for field, changed as the observer changed it.
    struct Reference {
        var claimedAt: Timestamp? = nil
        var pendingSince: SimInstant? = nil
        var claims = 0
        var computations = 0
        var finished = 0
    }

    /// A time from a small set (so that equal times, zero and negative ones are common).
    static func time(_ rng: inout SplitMix64) -> Int64 { Int64(rng.next() % 7) - 2 + (rng.next() % 4 == 0 ? 1 << 40 : 0) }

    static func expectSame(_ ledger: ChunkLedger, _ h: Int, _ r: Reference) {
        #expect(ledger.claimedAt(h) == r.claimedAt)
        #expect(ledger.pendingSince(h) == r.pendingSince)
        #expect(ledger.claims(h) == r.claims)
    }

    @Test(arguments: [UInt64(1), 2, 3, 4, 5])
    func theLedgerAnswersAsThePlainRecord(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        let store = EmbeddedStore(seed: seed)
        var ledger = ChunkLedger()
        var reference: [Int: Reference] = [:]
        // Handles over five pages and a bit, most changes near a moving front (as chunks are
        // made and finished in order), some anywhere; and ids the store never made.
        let span = 5 * ChunkLedger.pageSize + 37
        let strays = (0..<20).map { ChunkID(Identifier(high: 0xABC, low: UInt64($0))) }
        var front = 0
        for step in 0..<40_000 {
            let h: Int
            if rng.next() % 10 == 0 {
                h = ledger.handle(strays[Int(rng.next() % UInt64(strays.count))], store: store)
                #expect(h < 0)
            } else if rng.next() % 4 == 0 {
                h = Int(rng.next() % UInt64(span))
            } else {
                h = min(span - 1, front + Int(rng.next() % 300))
            }
            if step % 20 == 0 { front = min(span - 300, front + 7) }
            var r = reference[h] ?? Reference()
            switch rng.next() % 6 {
            case 0:
                let now = SimInstant(nanoseconds: Self.time(&rng))
                ledger.markPending(h, since: now)
                r.claimedAt = nil
                r.pendingSince = now
            case 1:
                let at = Timestamp(micros: Self.time(&rng))
                let got = ledger.markClaimed(h, at: at)
                r.claimedAt = at
                r.claims += 1
                #expect(got.claims == r.claims)
                #expect(got.pendingSince == r.pendingSince)
                r.pendingSince = nil
            case 2, 3:
                ledger.clearTime(h)
                r.claimedAt = nil
                r.pendingSince = nil
            case 4:
                r.computations += 1
                #expect(ledger.noteStarted(h) == (r.computations > 1))
            default:
                r.finished += 1
                #expect(ledger.noteFinished(h) == (r.finished > 1))
            }
            reference[h] = r
            Self.expectSame(ledger, h, r)
            // A handle never touched reads as an empty record.
            let other = Int(rng.next() % UInt64(span + 2_000))
            Self.expectSame(ledger, other, reference[other] ?? Reference())
            if step % 1_000 == 0 {
                // A page of times exists exactly while a chunk of it holds a time.
                let timedPages = Set(reference.filter { $0.key >= 0 && ($0.value.claimedAt != nil || $0.value.pendingSince != nil) }.keys.map { $0 / ChunkLedger.pageSize })
                #expect(ledger.pagesAllocated.times == timedPages.count)
            }
        }
        for (h, r) in reference { Self.expectSame(ledger, h, r) }
        // Every chunk completes: no page of times is left.
        for h in reference.keys { ledger.clearTime(h) }
        #expect(ledger.pagesAllocated.times == 0)
        #expect(ledger.pagesAllocated.words == (span + ChunkLedger.pageSize - 1) / ChunkLedger.pageSize)
    }

    @Test func aChunkOfTheStoreIsKeptByTheStoresHandleAndAStrangerByItsOwn() throws {
        var store = EmbeddedStore(seed: 7)
        let config = NewConfig(hash: ConfigHash(hex: String(repeating: "ab", count: 32))!, canonicalJSON: "{}", rotationID: nil)
        let user = UserID(Identifier(high: 1, low: 1))
        var ids: [ChunkID] = []
        for iterations in [3_000, 1_500] {
            let created = try store.createJob(
                NewJob(
                    userID: user, configHash: config.hash, totalIterations: iterations, chunkIterations: 1_000,
                    accessType: .public, discordServerID: nil),
                upserting: config)
            ids += store.chunks(ofJob: created.jobID).map(\.id)
        }
        var ledger = ChunkLedger()
        // The store's chunks are its handles, in creation order; a read makes nothing.
        #expect(ids.map { ledger.existingHandle($0, store: store) } == Array(0..<ids.count))
        #expect(ids.map { ledger.handle($0, store: store) } == Array(0..<ids.count))
        #expect(ledger.pendingSince(ids[0], store: store) == nil)
        ledger.markPending(ledger.handle(ids[3], store: store), since: SimInstant(nanoseconds: 0))
        #expect(ledger.pendingSince(ids[3], store: store) == SimInstant(nanoseconds: 0))
        #expect(ledger.claimedAt(ids[3], store: store) == nil)
        // An id the store never made: no handle until one is asked for, then the same one.
        let stranger = ChunkID(Identifier(high: 9, low: 9))
        #expect(ledger.existingHandle(stranger, store: store) == nil)
        let h = ledger.handle(stranger, store: store)
        #expect(h < 0 && ledger.handle(stranger, store: store) == h && ledger.existingHandle(stranger, store: store) == h)
        _ = ledger.markClaimed(h, at: Timestamp(micros: 5))
        #expect(ledger.claimedAt(stranger, store: store) == Timestamp(micros: 5))
        #expect(ledger.claims(ledger.handle(ids[3], store: store)) == 0)
    }
}
