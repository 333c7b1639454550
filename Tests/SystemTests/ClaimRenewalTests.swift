import Testing

@testable import JobSystem

private typealias F = StoreFixtures

/// Claims renewed by heartbeats (`renewClaims`) and the fixed reaper's rule, at exact instants
/// of the embedded store's clock (the contract suite has the same rule on both stores): a renewed claim is kept until the live-claim limit, an unrenewed or stale one goes at
/// the claim timeout, and a renewal never outlives its claim.
@Suite("Claim renewal")
struct ClaimRenewalTests {
    /// A job of `chunks` chunks of 100 iterations, each claimed by `node` at t0.
    static func claimed(_ store: inout EmbeddedStore, chunks: Int) throws -> (NodeID, NodeID, [ChunkID]) {
        let job = try store.createJob(F.newJob(iterations: 100 * chunks, chunk: 100), upserting: F.config(1), now: F.t0)
        let node = try F.onlineNode(&store, 1, capacity: 8)
        let other = try F.onlineNode(&store, 2, capacity: 8)
        let ids = store.chunks(ofJob: job.jobID).map(\.id)
        _ = try store.applyAssignments(ids.map { PlannedAssignment(chunkID: $0, nodeID: node) }, guarded: true, now: F.t0)
        return (node, other, ids)
    }

    static func reap(_ store: inout EmbeddedStore, at now: Timestamp, renewal: Interval? = .seconds(45)) throws -> [ChunkID] {
        try store.reapStaleChunks(
            claimedBefore: now - .minutes(5), renewedSince: renewal.map { now - $0 }, liveClaimedBefore: now - .minutes(30),
            now: now)
    }

    @Test(arguments: StoreKind.allCases)
    func renewedClaimsAreKeptUntilTheLiveLimit(kind: StoreKind) throws {
        var store = kind.make()
        let (node, other, ids) = try Self.claimed(&store, chunks: 3)
        // Chunk 0 renewed recently, chunk 1 renewed long ago, chunk 2 never; a name that is not
        // the caller's chunk (another node's claim, an unknown id) renews nothing.
        #expect(try store.renewClaims(node, chunks: [ids[1]], now: F.t0 + .minutes(1)) == 1)
        #expect(try store.renewClaims(node, chunks: [ids[0], ChunkID(Identifier(high: 9, low: 9))], now: F.t0 + .seconds(590)) == 1)
        #expect(try store.renewClaims(other, chunks: [ids[2]], now: F.t0 + .seconds(590)) == 0)
        let reaped = try Self.reap(&store, at: F.t0 + .minutes(10))
        #expect(reaped == [ids[1], ids[2]], "claimed together: in chunk order")
        #expect(store.chunk(ids[0])?.status == .running)
        // Kept while renewed, however old, up to the live-claim limit.
        for minute in stride(from: 11, through: 29, by: 1) {
            _ = try store.renewClaims(node, chunks: [ids[0]], now: F.t0 + .minutes(Int64(minute)))
            #expect(try Self.reap(&store, at: F.t0 + .minutes(Int64(minute)) + .seconds(30)).isEmpty)
        }
        _ = try store.renewClaims(node, chunks: [ids[0]], now: F.t0 + .minutes(31))
        #expect(try Self.reap(&store, at: F.t0 + .minutes(31)) == [ids[0]])
        #expect(F.problems(store).isEmpty)
    }

    /// Renewed within the window keeps a claim; a renewal older than the window does not; and a
    /// renewal belongs to its claim: a new claim of the chunk (attempt 2) is not covered by the
    /// renewal of attempt 1, however recent.
    @Test(arguments: StoreKind.allCases)
    func aRenewalCountsOnlyWithinTheWindowAndForItsClaim(kind: StoreKind) throws {
        var store = kind.make()
        let (node, _, ids) = try Self.claimed(&store, chunks: 1)
        _ = try store.renewClaims(node, chunks: ids, now: F.t0 + .seconds(330))
        #expect(try Self.reap(&store, at: F.t0 + .minutes(6)).isEmpty, "renewed 30 s ago")
        #expect(try Self.reap(&store, at: F.t0 + .minutes(7)) == ids, "renewed 90 s ago")
        _ = try store.heartbeat(node, now: F.t0 + .minutes(7))
        _ = try store.applyAssignments([PlannedAssignment(chunkID: ids[0], nodeID: node)], guarded: true, now: F.t0 + .minutes(7))
        _ = try store.renewClaims(node, chunks: ids, now: F.t0 + .minutes(8))
        // Today's unguarded batch update claims the running chunk again: attempt 3, not renewed.
        _ = try store.applyAssignments([PlannedAssignment(chunkID: ids[0], nodeID: node)], guarded: false, now: F.t0 + .minutes(8))
        #expect(store.chunk(ids[0])?.attempt == 3)
        let reaped = try store.reapStaleChunks(
            claimedBefore: F.t0 + .minutes(9), renewedSince: F.t0, liveClaimedBefore: F.t0, now: F.t0 + .minutes(9))
        #expect(reaped == ids, "attempt 2's renewal does not keep attempt 3")
    }

    /// Today's rule (no renewal window): every claim older than the timeout goes.
    @Test(arguments: StoreKind.allCases)
    func withoutARenewalWindowEveryOldClaimGoes(kind: StoreKind) throws {
        var store = kind.make()
        let (node, _, ids) = try Self.claimed(&store, chunks: 2)
        _ = try store.renewClaims(node, chunks: ids, now: F.t0 + .minutes(5))
        #expect(Set(try Self.reap(&store, at: F.t0 + .minutes(6), renewal: nil)) == Set(ids))
    }
}
