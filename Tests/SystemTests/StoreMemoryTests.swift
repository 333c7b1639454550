import Testing

@testable import JobSystem

/// The embedded store's compact tables, each against a plain model over seeded sequences:
/// `PagedArray` against an `Array`, `ChunkResults` against an array of optional tallies, the
/// reaper's order (its heap breaks ties by handle, its output by chunk id) against the rows
/// sorted the way `reap_stale_chunks()` sorts them; and the sizes the memory figures rest on.
@Suite("Store memory")
struct StoreMemoryTests {
    private typealias F = StoreFixtures

    // MARK: PagedArray

    /// The address `PagedArray.prefetch` asks for is the element's own, for every position of
    /// several pages (the first page while it doubles, full pages after), for an 8-byte and a
    /// 104-byte element (`DenseNode`'s stride); asking changes no element.
    @Test func pagedArrayPrefetchAddressIsTheElements() {
        var small = PagedArray<UInt64>()
        var wide = PagedArray<(UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64)>()
        #expect(MemoryLayout.stride(ofValue: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0) as (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64)) == 104)
        #expect(MemoryLayout<DenseNode>.stride == 104 && MemoryLayout<DenseNode>.alignment <= 16)
        for n in 0..<(2 * PagedArray<UInt64>.pageSize + 5) {
            let v = UInt64(n)
            small.append(v)
            wide.append((v, v, v, v, v, v, v, v, v, v, v, v, v))
            for at in [0, n / 2, n] {
                small.prefetch(at)
                wide.prefetch(at)
                #expect(small.prefetchAddress(at) == small.elementAddress(at))
                #expect(wide.prefetchAddress(at) == wide.elementAddress(at))
            }
        }
        #expect(small.prefetchAddress(small.count) == nil && small.prefetchAddress(-1) == nil)
        small.prefetch(small.count + 5_000)
        #expect(Array(small) == (0..<UInt64(small.count)).map { $0 })
        #expect(wide[wide.count - 1].12 == UInt64(wide.count - 1))
    }

    @Test func pagedArrayMatchesAnArray() {
        var rng = SystemTestRNG(state: 11)
        var paged = PagedArray<UInt64>()
        var model: [UInt64] = []
        #expect(paged.isEmpty && paged.byteCount == 0)
        // Appends across several pages, interleaved with writes to random earlier elements.
        let total = 5 * PagedArray<UInt64>.pageSize + 17
        while model.count < total {
            let value = rng.next()
            paged.append(value)
            model.append(value)
            if value % 3 == 0 {
                let at = Int(rng.next() % UInt64(model.count))
                let written = rng.next()
                paged[at] = written
                model[at] = written
            }
            if value % 5 == 0 {
                // In-place mutation through `_modify`.
                let at = Int(rng.next() % UInt64(model.count))
                paged[at] &+= 1
                model[at] &+= 1
            }
            if model.count % 997 == 0 { #expect(Array(paged) == model, "after \(model.count) appends") }
        }
        #expect(paged.count == model.count)
        #expect(Array(paged) == model)
        #expect(paged.indices == model.indices)
        for _ in 0..<1_000 {
            let at = Int(rng.next() % UInt64(model.count))
            #expect(paged[at] == model[at])
        }
        // Value semantics: a copy does not see later writes, nor the original the copy's.
        var copy = paged
        copy[0] = ~model[0]
        paged[model.count - 1] = ~model[model.count - 1]
        #expect(copy[0] == ~model[0] && paged[0] == model[0])
        #expect(copy[model.count - 1] == model[model.count - 1])
    }

    /// `updateAll` (one pass over every element, in place) against the same change made to
    /// an `Array`, element by element, over several pages and a partly filled last one; a copy
    /// taken before keeps its values (the pages are copied on write, as through the subscript).
    @Test func pagedArrayUpdateAllIsAWriteToEachElementInOrder() {
        var rng = SystemTestRNG(state: 23)
        for count in [0, 1, 15, PagedArray<UInt64>.pageSize, 3 * PagedArray<UInt64>.pageSize + 17] {
            var paged = PagedArray<UInt64>()
            var model: [UInt64] = []
            for _ in 0..<count {
                let value = rng.next()
                paged.append(value)
                model.append(value)
            }
            let copy = paged
            let original = model
            var visited: [Int] = []
            let salt = rng.next()
            paged.updateAll { position, element in
                visited.append(position)
                if element % 3 != 0 { element = element &* 31 &+ UInt64(position) ^ salt }
            }
            for i in model.indices where model[i] % 3 != 0 { model[i] = model[i] &* 31 &+ UInt64(i) ^ salt }
            #expect(visited == Array(0..<count), "count \(count)")
            #expect(Array(paged) == model, "count \(count)")
            #expect(Array(copy) == original, "count \(count): the copy keeps its values")
        }
    }

    @Test func pagedArraySlackIsAtMostOnePage() {
        let page = PagedArray<UInt64>.pageSize
        for count in [1, page - 1, page, page + 1, 3 * page, 40 * page + 5] {
            var paged = PagedArray<UInt64>()
            for i in 0..<count { paged.append(UInt64(i)) }
            let pages = (count + page - 1) / page
            // Beyond the elements: at most one page's worth of room, a few elements a page of
            // allocator rounding, and the page list (a word a page, grown by doubling). An array
            // grown by doubling could hold up to twice the count.
            let slack = paged.byteCount - count * 8
            #expect(slack <= page * 8 + 48 * pages + 256, "count \(count): \(paged.byteCount) bytes")
        }
    }

    // MARK: ChunkResults

    /// A tally whose fields are drawn so that some fit the compact form and some do not (sums
    /// above 2^64, an extreme, a fight length or an iteration count beyond 32 bits).
    private static func tally(_ rng: inout SystemTestRNG) -> DamageTally {
        let kind = rng.next() % 6
        let iterations = kind == 4 ? Int(UInt32.max) + 1 + Int(rng.next() % 1_000) : 1 + Int(rng.next() % 2_000)
        let fight = kind == 5 ? Int(UInt32.max) + 7 : 1 + Int(rng.next() % 3_600)
        let low = rng.next() % 1_000_000
        // Kind 3: iterations of 2^40 damage, whose squares sum past 2^64. Kind 2: a maximum of
        // 2^32 with small sums (the fields need not be a consistent tally: the store keeps
        // whatever it is given), so the extreme alone does not fit.
        let high = kind == 3 ? (1 << 40) + rng.next() % 1_000 : kind == 2 ? 1 << 32 : low + rng.next() % 1_000_000
        let sum = UInt128(low) * UInt128(iterations) + UInt128(rng.next() % 1_000)
        let root = kind == 2 ? low : high
        let squares = UInt128(root) * UInt128(root) * UInt128(iterations)
        return DamageTally(
            restoringFightLengthSeconds: fight, iterations: iterations, damageSum: sum, damageSquaresSum: squares,
            minDamage: low, maxDamage: high)
    }

    @Test func chunkResultsMatchAnArrayOfOptionalTallies() {
        var rng = SystemTestRNG(state: 29)
        var results = ChunkResults()
        var model: [DamageTally?] = []
        var spills = 0
        for step in 0..<20_000 {
            if model.isEmpty || rng.next() % 3 == 0 {
                results.appendNull()
                model.append(nil)
            } else {
                let at = Int(rng.next() % UInt64(model.count))
                let tally = Self.tally(&rng)
                let wasSpilled = model[at].map { ChunkResults.Stored($0) == nil } ?? false
                if ChunkResults.Stored(tally) == nil && !wasSpilled { spills += 1 }
                results.set(at, tally)
                model[at] = tally
            }
            if step % 1_000 == 0 {
                #expect(results.count == model.count)
                #expect(model.indices.allSatisfy { results.tally($0) == model[$0] && results.isNull($0) == (model[$0] == nil) })
            }
        }
        #expect(results.count == model.count)
        #expect(model.indices.allSatisfy { results.tally($0) == model[$0] })
        // Every kind occurred, and a chunk spilled again reused its place.
        #expect(spills > 100 && results.spilledCount == spills)
        #expect(model.contains { $0.map { ChunkResults.Stored($0) != nil } ?? false })
    }

    @Test func compactResultsKeepEveryFieldOfModelSizedTallies() {
        // Results as the DPS model and the stand-in produce them (the fleet's iterations deal
        // about 360,000 damage; 10^8 a fight is far beyond it): all fit the compact form.
        let results = [F.result(iterations: 1), F.result(iterations: 1_000), F.result(iterations: 1_000, base: 100_000_000, fight: 3_600)]
        var stored = ChunkResults()
        for (i, result) in results.enumerated() {
            stored.appendNull()
            #expect(stored.tally(i) == nil)
            stored.set(i, result.tally)
            #expect(stored.tally(i) == result.tally)
        }
        #expect(stored.spilledCount == 0)
    }

    // MARK: Sizes

    @Test func rowsAreAsSmallAsTheirDocCommentsSay() {
        #expect(MemoryLayout<ChunkSlot>.stride == 40)
        #expect(MemoryLayout<ChunkResults.Stored>.stride == 32)
        #expect(MemoryLayout<ClaimEntry>.stride == 16)
    }

    @Test func statusOrdinalsArePositionsInAllCases() {
        #expect(JobStatus.allCases.map(\.ordinal) == Array(JobStatus.allCases.indices))
        #expect(ChunkStatus.allCases.map(\.ordinal) == Array(ChunkStatus.allCases.indices))
        #expect(NodeStatus.allCases.map(\.ordinal) == Array(NodeStatus.allCases.indices))
    }

    // MARK: The consistency check

    /// Its per-node check counts instead of building a list per node: it must still catch a
    /// node's running list that is short, long, duplicated, or names a chunk running elsewhere
    /// (same count), and a pending chunk queued twice.
    @Test func consistencyCheckCatchesCorruptRunningLists() throws {
        var store = EmbeddedStore(seed: 5)
        let nodes = try (1...3).map { try F.onlineNode(&store, UInt8($0), capacity: 4) }
        _ = try store.createJob(F.newJob(iterations: 1_000, chunk: 100), upserting: F.config(1), now: F.t0)
        let pending = store.assignmentSnapshot(limit: 10, onlineSince: F.t0 - .hours(1)).chunks
        let plan = pending.prefix(6).enumerated().map { PlannedAssignment(chunkID: $1.id, nodeID: nodes[$0 % 2]) }
        _ = try store.applyAssignments(plan, guarded: true, now: F.t0)
        #expect(store.checkConsistency().isEmpty)
        let a = store.nodeHandle(nodes[0])!, b = store.nodeHandle(nodes[1])!
        #expect(store.nodeRunning[a].count == 3 && store.nodeRunning[b].count == 3)

        func corrupted(_ change: (inout EmbeddedStore) -> Void) -> [String] {
            var copy = store
            change(&copy)
            return copy.checkConsistency()
        }
        let short = corrupted { $0.nodeRunning[a].removeLast() }
        let long = corrupted { $0.nodeRunning[a].append($0.nodeRunning[b][0]) }
        let duplicated = corrupted { $0.nodeRunning[a][1].chunk = $0.nodeRunning[a][0].chunk }
        let elsewhere = corrupted { $0.nodeRunning[a][2] = $0.nodeRunning[b][0] }
        for problems in [short, long, duplicated, elsewhere] {
            #expect(problems.contains { $0.contains("has running count") }, "\(problems)")
        }
        #expect(duplicated.first { $0.contains("has running count 3, rows say 3") } != nil)
        let queuedTwice = corrupted { $0.pendingQueue.append($0.pendingQueue[$0.pendingQueue.count - 1]) }
        #expect(queuedTwice.contains { $0.contains("in the pending queue 2 times") }, "\(queuedTwice)")
    }

    // MARK: The node's dense entry and its row

    /// A heartbeat writes only the node's dense entry: the stored row keeps `last_seen_at`
    /// NULL and its status as the row says, while every read of the row shows the sighting. The
    /// consistency check catches a row that keeps `last_seen_at`, and a dense status, name or
    /// `max_parallel` that differs from the row.
    @Test func heartbeatWritesTheDenseEntryAndReadsShowTheSighting() throws {
        var store = EmbeddedStore(seed: 12)
        let node = try F.onlineNode(&store, 1, capacity: 3)
        let h = store.nodeHandle(node)!
        let later = F.t0 + .seconds(40)
        store.now = later
        let beat = try store.heartbeat(NodeCaller(id: node, handle: h))
        #expect(beat == NodeHeartbeat(id: node, name: "node1", maxParallel: 3, status: .online))
        #expect(store.nodes[h]!.lastSeenAt == nil)
        #expect(store.node(node)!.lastSeenAt == later)
        #expect(store.allNodes.first { $0.id == node }?.lastSeenAt == later)
        #expect(store.checkConsistency().isEmpty)

        func corrupted(_ change: (inout EmbeddedStore) -> Void) -> [String] {
            var copy = store
            change(&copy)
            return copy.checkConsistency()
        }
        #expect(corrupted { $0.nodes[h]!.lastSeenAt = later }.contains { $0.contains("keeps last_seen_at") })
        for problems in [
            corrupted { $0.nodeDense[h].status = .offline }, corrupted { $0.nodeDense[h].name = "other" },
            corrupted { $0.nodeDense[h].maxParallel = 9 }, corrupted { $0.nodes[h]!.status = .offline },
        ] {
            #expect(problems.contains { $0.contains("snapshot fields") }, "\(problems)")
        }
        // A deleted node: no row, no status, never seen; its entry keeps its id.
        _ = try store.markNodesOffline(lastSeenBefore: later + .seconds(1), now: later + .seconds(1))
        _ = try store.cleanupStaleData(
            unclaimedBefore: F.t0, offlineBefore: later + .seconds(1), unusedConfigBefore: F.t0, now: later + .seconds(2))
        #expect(store.nodes[h] == nil && store.nodeDense[h].status == nil && store.nodeDense[h].id == node)
        #expect(store.checkConsistency().isEmpty)
        #expect(throws: StoreError.nodeNotFound) { try store.heartbeat(NodeCaller(id: node, handle: h)) }
    }

    /// `renewClaims` finds the named chunks in the node's own running list by recomputed ids;
    /// over seeded sequences of (re)assignments across nodes, releases and completions, it
    /// renews exactly what the rows say: each named chunk running on the node, once per naming
    /// (ids named twice, chunks running elsewhere, pending, completed or unknown are ignored),
    /// and nothing else, whatever the order of the names. Throughout, each node's dense entry
    /// names its list's oldest claim (`DenseNode.firstClaim`, the completion's prefetch hint).
    @Test func claimRenewalByTheRunningListMatchesTheRows() throws {
        for seed: UInt64 in 1...6 {
            var rng = SystemTestRNG(state: seed)
            func draw(_ n: Int) -> Int { Int(rng.next() % UInt64(n)) }
            var store = EmbeddedStore(seed: seed)
            let nodes = try (1...4).map { try F.onlineNode(&store, UInt8($0), capacity: 6) }
            for j in 0..<3 {
                _ = try store.createJob(F.newJob(config: F.config(j), iterations: 12_000, chunk: 1_000), upserting: F.config(j), now: F.t0)
            }
            let all = (0..<store.chunkTotal).map { store.chunkID($0) }
            let unknown = ChunkID(Identifier(high: rng.next(), low: rng.next()))
            var clock = F.t0
            var renewals = 0
            for step in 0..<300 {
                clock = clock + .seconds(1)
                switch draw(4) {
                case 0, 1:  // a few chunks to random nodes, unguarded (running ones move; completed
                    // ones are left alone: today's batch would run them again, which the
                    // consistency check at the end reports as the defect it is)
                    let open = all.filter { store.chunk($0)?.status != .completed }
                    let plan = (0..<(open.isEmpty ? 0 : 1 + draw(4))).map { _ in
                        PlannedAssignment(chunkID: open[draw(open.count)], nodeID: nodes[draw(4)])
                    }
                    _ = try store.applyAssignments(plan, guarded: false, now: clock)
                case 2:  // a node falls silent: its chunks go back to pending
                    if draw(3) == 0 { _ = try store.reclaimChunksOfSilentNodes(silentSince: clock, now: clock) }
                    for node in nodes where draw(2) == 0 { _ = try store.heartbeat(node, now: clock) }
                default:  // a completion of a running chunk
                    let running = all.filter { store.chunk($0)?.status == .running }
                    if let id = running.isEmpty ? nil : running[draw(running.count)], let chunk = store.chunk(id) {
                        _ = try store.completeChunk(
                            Completion(nodeID: chunk.nodeID!, chunkID: id, attempt: chunk.attempt,
                                       result: F.result(iterations: chunk.iterations)),
                            rules: CompletionRules(), now: clock)
                    }
                }
                // A heartbeat naming a mix, in a random order, some twice.
                let node = nodes[draw(4)]
                let h = store.nodeHandle(node)!
                var named = (0..<draw(8)).map { _ in all[draw(all.count)] }
                named += store.runningChunks(ofNode: node).map(\.id).filter { _ in draw(3) != 0 }
                if draw(5) == 0 { named.append(unknown) }
                if let first = named.first, draw(4) == 0 { named.append(first) }
                named.shuffle(using: &rng)
                let expected = named.filter { id in
                    guard let row = store.chunk(id) else { return false }
                    return row.status == .running && row.nodeID == node
                }
                let before = store.nodeRunning
                clock = clock + .seconds(1)
                #expect(try store.renewClaims(node, chunks: named, now: clock) == expected.count, "seed \(seed) step \(step)")
                renewals += expected.count
                // Exactly the named running chunks carry this instant; every other claim is untouched.
                for (k, claim) in store.nodeRunning[h].enumerated() {
                    let id = store.chunkID(claim.chunk)
                    let renewedNow = expected.contains(id)
                    #expect(renewedNow ? claim.renewedAt == clock : claim == before[h][k], "seed \(seed) step \(step)")
                }
                for other in store.nodeRunning.indices where other != h { #expect(store.nodeRunning[other] == before[other]) }
                // The dense entry's hint names each list's oldest claim (-1: none), beside its count.
                for handle in store.nodeRunning.indices {
                    #expect(store.nodeDense[handle].firstClaim == Int32(store.nodeRunning[handle].first?.chunk ?? -1), "seed \(seed) step \(step)")
                    #expect(store.nodeDense[handle].running == store.nodeRunning[handle].count)
                }
            }
            #expect(renewals > 100, "seed \(seed): too few renewals to mean anything")
            #expect(store.checkConsistency().isEmpty)
        }
    }

    // MARK: The reaper's order

    /// Many chunks claimed at a few instants (so `claimed_at` ties are the rule), some completed,
    /// some renewed: each reap returns exactly the running chunks with an old, unrenewed claim,
    /// sorted by `(claimed_at, id)`, and the store stays consistent.
    @Test func reapOrderIsClaimTimeThenChunkIDOverSeededRuns() throws {
        for seed: UInt64 in [1, 2, 3, 4] {
            var rng = SystemTestRNG(state: seed)
            var store = EmbeddedStore(seed: seed)
            var now = F.t0
            var reapedInAll = 0
            let nodes = try (1...6).map { try F.onlineNode(&store, UInt8($0), capacity: 40, at: now) }
            _ = try store.createJob(F.newJob(iterations: 150 * 100, chunk: 100), upserting: F.config(1), now: now)
            for round in 0..<12 {
                now = now + .seconds(Int64(rng.next() % 3) * 40)
                for node in nodes { _ = try store.heartbeat(node, now: now) }
                // Assign a batch at this instant (one `claimed_at` for all of it).
                let snapshot = store.assignmentSnapshot(limit: 30, onlineSince: now - .hours(1))
                let plan = snapshot.chunks.map { PlannedAssignment(chunkID: $0.id, nodeID: nodes[Int(rng.next() % 6)]) }
                _ = try store.applyAssignments(plan, guarded: false, now: now)
                // Complete a few, renew a few (only renewals by the holder count).
                for chunk in store.runningChunks() where rng.next() % 5 == 0 {
                    _ = try store.completeChunk(
                        Completion(nodeID: chunk.nodeID!, chunkID: chunk.id, attempt: chunk.attempt, result: F.result(iterations: chunk.iterations)),
                        rules: CompletionRules(), now: now)
                }
                for node in nodes {
                    let mine = store.runningChunks(ofNode: node).filter { _ in rng.next() % 4 == 0 }.map(\.id)
                    _ = try store.renewClaims(node, chunks: mine, now: now)
                }
                guard round % 3 == 2 else { continue }
                now = now + .seconds(90)
                let renewedSince = now - .seconds(100)
                let claimedBefore = now - .seconds(120)
                // The reference: renewal state is not public, so the reap without renewals is
                // compared exactly, and with renewals it must return a sorted subset.
                let expected = store.runningChunks().filter { $0.claimedAt! < claimedBefore }
                    .sorted { ($0.claimedAt!, $0.id) < ($1.claimedAt!, $1.id) }.map(\.id)
                if round % 2 == 0 {
                    var copy = store
                    let withRenewals = try copy.reapStaleChunks(
                        claimedBefore: claimedBefore, renewedSince: renewedSince, liveClaimedBefore: now - .hours(1), now: now)
                    #expect(withRenewals == expected.filter { withRenewals.contains($0) }, "seed \(seed) round \(round)")
                    #expect(copy.checkConsistency().isEmpty)
                }
                let reaped = try store.reapStaleChunks(claimedBefore: claimedBefore, now: now)
                #expect(reaped == expected, "seed \(seed) round \(round)")
                reapedInAll += reaped.count
                #expect(store.checkConsistency().isEmpty, "\(store.checkConsistency().prefix(3))")
            }
            #expect(reapedInAll > 20, "seed \(seed): the runs must reap")
        }
    }
}
