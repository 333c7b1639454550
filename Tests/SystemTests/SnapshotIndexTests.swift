import Testing

@testable import JobSystem

/// The sentinel's snapshot from the store's indexes (`SightingOrder`, `FreeSlotIndex`) against
/// the walk over every node it replaced (`assignmentSnapshotByWalk`), over long seeded
/// sequences of registrations, claims, heartbeats, assignments (guarded and not, so nodes
/// over-fill), completions, reaps, reclaims, offline marking, deletions, grants and clock moves
/// (forward, jumps, steps back, repeated instants); and each index against a plain model.
@Suite("Snapshot indexes")
struct SnapshotIndexTests {
    private typealias F = StoreFixtures

    /// What the sequences exercised, so a run that never reached a case fails.
    private struct Coverage {
        var compared = 0
        var truncatedLists = 0  // fewer listed than free online nodes
        var silentSkipped = 0  // a seen node with a free slot not online
        var clockStepsBack = 0
        var deletedNodes = 0
        var overFull = 0  // a node running more than its capacity
        var restrictedLists = 0
        var tiedStalest = 0
        var offlineWalked = 0  // offline nodes seen by the dense walk's comparison
    }

    @Test func indexedSnapshotEqualsTheWalkOverSeededSequences() throws {
        var coverage = Coverage()
        for seed: UInt64 in 1...8 {
            try run(seed: seed, steps: 1_500, coverage: &coverage)
        }
        #expect(coverage.compared > 40_000)
        #expect(coverage.truncatedLists > 100)
        #expect(coverage.silentSkipped > 100)
        #expect(coverage.clockStepsBack > 50)
        #expect(coverage.deletedNodes > 10)
        #expect(coverage.overFull > 10)
        #expect(coverage.restrictedLists > 100)
        #expect(coverage.tiedStalest > 10)
        #expect(coverage.offlineWalked > 10)
    }

    private func run(seed: UInt64, steps: Int, coverage: inout Coverage) throws {
        var rng = SystemTestRNG(state: seed &* 7_919)
        func draw(_ n: Int) -> Int { Int(rng.next() % UInt64(n)) }
        var store = EmbeddedStore(seed: seed)
        var now = F.t0
        var nextKey: UInt8 = 1
        var owners = [F.user(1), F.user(2), F.user(3)]
        owners.shuffle(using: &rng)
        var known: [NodeID] = []  // every node ever registered (deleted ones stay: calls on them fail)

        func register(claim: Bool) throws {
            guard nextKey < 250 else { return }
            let capacity = 1 + draw(5)
            let registered = try store.registerNode(F.registration(nextKey, cores: capacity, parallel: capacity), now: now)
            nextKey += 1
            known.append(registered.node.id)
            if claim { _ = try store.claimNode(claimCode: registered.node.claimCode, by: owners[draw(3)], now: now) }
        }
        for _ in 0..<(8 + draw(20)) { try register(claim: draw(6) != 0) }

        for step in 0..<steps {
            // The clock: mostly small steps in whole seconds (so sightings tie), sometimes a
            // jump forward, sometimes a step back.
            switch draw(40) {
            case 0: now = now + .minutes(Int64(5 + draw(120)))
            case 1, 2:
                now = now - .seconds(Int64(1 + draw(90)))
                coverage.clockStepsBack += 1
            case 3: break  // the same instant again
            default: now = now + .seconds(Int64(draw(4)))
            }
            store.now = now
            switch draw(100) {
            case 0..<45:
                // Heartbeats (unclaimed and deleted nodes are refused, and change nothing).
                for _ in 0..<(1 + draw(6)) { _ = try? store.heartbeat(known[draw(known.count)], now: now) }
            case 45..<52:
                let access: AccessType = draw(3) == 0 ? [.private, .user][draw(2)] : .public
                let config = F.config(draw(4))
                _ = try store.createJob(
                    F.newJob(user: owners[draw(3)], config: config, iterations: 1_000 * (1 + draw(12)), access: access),
                    upserting: config, now: now)
            case 52..<70:
                // A pass: plan from the snapshot onto listed or arbitrary nodes.
                let snapshot = store.assignmentSnapshot(limit: 1 + draw(8), onlineWindow: .seconds(30))
                var plan: [PlannedAssignment] = []
                for chunk in snapshot.chunks {
                    let pick = !snapshot.nodes.isEmpty && draw(3) != 0
                        ? snapshot.nodes[draw(snapshot.nodes.count)].id : known[draw(known.count)]
                    guard store.node(pick) != nil else { continue }
                    plan.append(PlannedAssignment(chunkID: chunk.id, nodeID: pick))
                }
                _ = try store.applyAssignments(plan, guarded: draw(3) != 0, onlineWindow: draw(2) == 0 ? .seconds(30) : nil)
            case 70..<82:
                let running = store.runningChunks()
                if !running.isEmpty {
                    let chunk = running[draw(running.count)]
                    _ = try? store.completeChunk(
                        Completion(nodeID: chunk.nodeID!, chunkID: chunk.id, attempt: chunk.attempt, result: F.result(iterations: chunk.iterations)),
                        rules: CompletionRules(), now: now)
                }
            case 82..<86: _ = try store.reapStaleChunks(claimTimeout: .seconds(Int64(20 + draw(200))))
            case 86..<88: _ = try store.reclaimChunksOfSilentNodes(silence: .seconds(Int64(10 + draw(120))))
            case 88..<92: _ = try store.markNodesOffline(silence: .seconds(Int64(20 + draw(100))))
            case 92..<94:
                let before = store.allNodes.count
                _ = try store.cleanupStaleData(CleanupAges(
                    unclaimedNode: .minutes(Int64(1 + draw(30))), offlineNode: .seconds(Int64(30 + draw(300))), unusedConfig: .days(7)))
                coverage.deletedNodes += before - store.allNodes.count
            case 94..<97: try register(claim: draw(4) != 0)
            default:
                let node = known[draw(known.count)]
                _ = try? store.grantPermission(node: node, type: .user, target: owners[draw(3)].uuidString, now: now)
            }

            for node in store.allNodes where store.runningCount(of: node.id) > node.capacity { coverage.overFull += 1 }
            // Compare under several windows and batch sizes (0: the gauges' call).
            for window: Interval in [.seconds(15), .seconds(30), .seconds(Int64(1 + draw(600)))] {
                for limit in [0, 1, 2 + draw(10), 100] {
                    let indexed = store.assignmentSnapshot(limit: limit, onlineWindow: window)
                    let walked = store.assignmentSnapshotByWalk(limit: limit, onlineWindow: window)
                    #expect(indexed == walked, "seed \(seed) step \(step) window \(window.micros) limit \(limit)")
                    coverage.compared += 1
                    // The cases the indexes must get right, counted from the rows.
                    let since = (now - window).micros
                    let rows = store.allNodes
                    let seenFree = rows.filter { $0.lastSeenAt != nil && $0.capacity > store.runningCount(of: $0.id) }
                    let onlineFree = seenFree.filter { $0.lastSeenAt!.micros > since }
                    if onlineFree.count > walked.nodes.count && !walked.nodes.isEmpty { coverage.truncatedLists += 1 }
                    if seenFree.count > onlineFree.count && !walked.nodes.isEmpty { coverage.silentSkipped += 1 }
                    if walked.jobs.contains(where: { $0.accessType != .public }) && !walked.nodes.isEmpty { coverage.restrictedLists += 1 }
                    let online = rows.filter { ($0.lastSeenAt?.micros ?? .min) > since }
                    if let oldest = online.map({ $0.lastSeenAt! }).min(), online.filter({ $0.lastSeenAt == oldest }).count > 1 {
                        coverage.tiedStalest += 1
                    }
                }
            }
            if step % 50 == 0 || step == steps - 1 {
                let problems = store.checkConsistency()
                #expect(problems.isEmpty, "seed \(seed) step \(step): \(problems.prefix(3))")
                // The observer's walk over the dense entries gives what the rows say, in order.
                var sightings: [(String, NodeStatus, Timestamp?)] = []
                store.forEachNodeSighting { handle, status, seen in sightings.append((store.nodeName(handle: handle), status, seen)) }
                let rows = store.allNodes
                #expect(sightings.count == rows.count, "seed \(seed) step \(step)")
                for (s, row) in zip(sightings, rows) {
                    #expect(s.0 == row.name && s.1 == row.status && s.2 == row.lastSeenAt, "seed \(seed) step \(step) node \(row.id)")
                }
                coverage.offlineWalked += rows.filter { $0.status == .offline }.count
            }
        }
    }

    /// The positions `setNodeSeen` writes back after the sighting order's rebuild (gathered by
    /// handle, then one pass over the dense table) are each node's live entry: the store's
    /// consistency check reads every node's entry in the order at its position. Over more
    /// nodes than a page of the dense table (1,024), enough heartbeats for several compactions
    /// (each at 4,096 stale entries), and the clock stepped back for merges of late sightings.
    @Test func positionsRewrittenAfterARebuildAreEachNodesEntry() throws {
        var rng = SystemTestRNG(state: 41)
        var store = EmbeddedStore(seed: 3)
        var now = F.t0
        var nodes: [NodeID] = []
        for n in 0..<1_100 {
            var key = [UInt8](repeating: 0xA5, count: 32)
            key[0] = UInt8(n & 0xFF)
            key[1] = UInt8(n >> 8)
            let registration = NodeRegistration(
                publicKey: PublicKey(bytes: key)!, claimCode: "R" + String(repeating: "0", count: 5 - String(n).count) + String(n), name: "r\(n)",
                totalCores: 2, maxParallel: 2, platform: "linux", version: "1.0")
            let registered = try store.registerNode(registration, now: now)
            if n % 10 != 0 {  // (a tenth never claimed: never seen, position -1 throughout)
                _ = try store.claimNode(claimCode: registered.node.claimCode, by: F.user(1), now: now)
                nodes.append(registered.node.id)
            }
        }
        let rebuildsBefore = store.sightings.rebuilds
        for step in 0..<16_000 {
            // Forward, with the clock now and then stepped back behind the newest sighting.
            now = step % 2_000 == 1_999 ? now - .seconds(30) : now + .milliseconds(Int64(1 + rng.next() % 20))
            let rebuilds = store.sightings.rebuilds
            _ = try store.heartbeat(nodes[Int(rng.next() % UInt64(nodes.count))], now: now)
            if store.sightings.rebuilds != rebuilds || step % 1_000 == 0 {
                let problems = store.checkConsistency()
                #expect(problems.isEmpty, "step \(step): \(problems.prefix(3))")
            }
        }
        #expect(store.sightings.rebuilds - rebuildsBefore >= 3)
        #expect(store.checkConsistency().isEmpty)
    }

    // MARK: Each index against a plain model

    @Test func sightingOrderCountsAndFindsTheStalestLikeAScan() {
        for seed: UInt64 in 1...6 {
            var rng = SystemTestRNG(state: seed)
            func draw(_ n: Int) -> Int { Int(rng.next() % UInt64(n)) }
            let nodes = 40 + draw(400)
            var order = SightingOrder()
            var model = [Int64](repeating: .min, count: nodes)
            var position = [Int32](repeating: -1, count: nodes)  // (the store keeps them in `DenseNode`)
            let ids = (0..<nodes).map { _ in NodeID(Identifier(high: rng.next(), low: rng.next())) }
            var clock: Int64 = 1_000
            var largestStored = 0
            for step in 0..<20_000 {
                // In order for the first half (stale entries pile up until a compaction), with
                // steps back in the second (each sighting older than the newest is inserted).
                clock += Int64(draw(3)) - (step > 10_000 && draw(50) == 0 ? Int64(draw(40)) : 0)
                let handle = draw(nodes)
                let value: Int64 = draw(30) == 0 ? .min : clock
                if model[handle] != value {  // (only changes are set)
                    position[handle] = order.set(handle, from: position[handle], seen: value)
                    if order.moved {
                        position = [Int32](repeating: -1, count: nodes)
                        order.forEachLive { h, p, _ in position[h] = p }
                    }
                }
                model[handle] = value
                largestStored = max(largestStored, order.storedCount)
                #expect(order.storedCount <= order.liveCount + max(4_096, order.liveCount / 2) + 1)
                if step % 7 == 0 {
                    let since = clock - Int64(draw(60))
                    let online = (0..<nodes).filter { model[$0] != .min && model[$0] > since }
                    #expect(order.count(after: since) == online.count)
                    let stalest = online.min { (model[$0], ids[$0]) < (model[$1], ids[$1]) }
                    #expect(order.stalest(after: since) { ids[$0] } == stalest, "seed \(seed) step \(step)")
                }
            }
            #expect(order.isConsistent)
            #expect(order.liveCount == model.filter { $0 != .min }.count)
            for h in 0..<nodes {
                let entry = order.liveEntry(at: position[h])
                #expect(model[h] == .min ? position[h] == -1 : (entry?.handle == h && entry?.seen == model[h]))
            }
            #expect(largestStored > nodes + 1_000, "stale entries must have built up before a compaction")
        }
    }

    /// The store's clock stepped back far behind the newest sighting: every sighting is late
    /// for thousands of steps. The answers must stay the scan's, and the work bounded: late
    /// sightings go to the side list and are merged once it holds max(256, live / 8) of them,
    /// so rebuilds stay near steps / 256 (each late sighting was a rebuild, O(n), before).
    @Test func sightingOrderStaysExactAndCheapWhileTheClockIsBehind() {
        for seed: UInt64 in 1...4 {
            var rng = SystemTestRNG(state: seed)
            func draw(_ n: Int) -> Int { Int(rng.next() % UInt64(n)) }
            let nodes = 300 + draw(700)
            var order = SightingOrder()
            var model = [Int64](repeating: .min, count: nodes)
            var position = [Int32](repeating: -1, count: nodes)
            let ids = (0..<nodes).map { _ in NodeID(Identifier(high: rng.next() % 4, low: rng.next())) }
            func set(_ handle: Int, _ value: Int64) {
                guard model[handle] != value else { return }
                position[handle] = order.set(handle, from: position[handle], seen: value)
                if order.moved {
                    position = [Int32](repeating: -1, count: nodes)
                    order.forEachLive { h, p, _ in position[h] = p }
                }
                model[handle] = value
            }
            func check(_ since: Int64, _ context: String) {
                let online = (0..<nodes).filter { model[$0] != .min && model[$0] > since }
                #expect(order.count(after: since) == online.count, "\(context)")
                let stalest = online.min { (model[$0], ids[$0]) < (model[$1], ids[$1]) }
                #expect(order.stalest(after: since) { ids[$0] } == stalest, "\(context)")
            }
            // Every node seen once, in order; then one node far ahead (the clock then steps back).
            var clock: Int64 = 1_000
            for h in 0..<nodes { clock += Int64(draw(2)); set(h, clock) }
            set(nodes - 1, clock + 1_000_000)  // (left alone below: the clock stays behind it)
            clock -= Int64(draw(500))
            let before = order.rebuilds
            var lateSeen = 0, largestLate = 0
            let steps = 30_000
            for step in 0..<steps {
                clock += Int64(draw(3))
                let handle = draw(nodes - 1)
                let value: Int64 = draw(40) == 0 ? .min : clock - Int64(draw(draw(10) == 0 ? 200 : 2))
                if value != .min && value != model[handle] { lateSeen += 1 }
                set(handle, value)
                largestLate = max(largestLate, order.lateCount)
                #expect(order.lateCount <= max(SightingOrder.lateFloor, order.liveCount / 8) + 1)
                #expect(order.storedCount <= order.liveCount + max(4_096, order.liveCount / 2) + 1)
                if step % 11 == 0 {
                    check(clock - Int64(draw(300)), "seed \(seed) step \(step)")
                    check(clock + 2_000_000, "seed \(seed) step \(step): nothing after")
                    check(.min + 1, "seed \(seed) step \(step): everything")
                }
                if step % 2_000 == 0 { #expect(order.isConsistent, "seed \(seed) step \(step)") }
            }
            #expect(order.isConsistent)
            for h in 0..<nodes {
                let entry = order.liveEntry(at: position[h])
                #expect(model[h] == .min ? position[h] == -1 : (entry?.handle == h && entry?.seen == model[h]))
            }
            // The phase was late throughout, the side list filled, and rebuilds stayed rare.
            #expect(lateSeen > steps / 2)
            #expect(largestLate >= SightingOrder.lateFloor)
            #expect(order.rebuilds - before <= steps / SightingOrder.lateFloor + steps / 4_096 + 2,
                    "seed \(seed): \(order.rebuilds - before) rebuilds for \(lateSeen) late sightings")
        }
    }

    @Test func freeSlotIndexPicksTheBestLikeASort() {
        for seed: UInt64 in 1...4 {
            var rng = SystemTestRNG(state: seed)
            func draw(_ n: Int) -> Int { Int(rng.next() % UInt64(n)) }
            let nodes = 600 + draw(1_200)
            // Some ids share their top bits (one bucket), the rest are spread.
            let ids = (0..<nodes).map { _ in NodeID(Identifier(high: draw(3) == 0 ? rng.next() % 8 : rng.next(), low: rng.next())) }
            var index = FreeSlotIndex()
            var model: [Int?] = Array(repeating: nil, count: nodes)
            var compared = 0
            for step in 0..<20_000 {
                let handle = draw(nodes)
                if let free = model[handle] { index.remove(handle: handle, free: free, id: ids[handle]) }
                let next: Int? = draw(4) == 0 ? nil : 1 + draw(draw(10) == 0 ? 40 : 6)
                if let next {
                    index.insert(handle: handle, free: next, id: ids[handle])
                    if index.needsRegroup { index.regroup { ids[$0] } }
                }
                model[handle] = next
                if step % 97 == 0 {
                    #expect(index.isConsistent { ids[$0] })
                    #expect(index.entries.map(\.handle) == (0..<nodes).filter { model[$0] != nil })
                    let excluded = Set((0..<nodes).filter { _ in draw(10) == 0 })
                    var ranked: [Int] = (0..<nodes).filter { model[$0] != nil && !excluded.contains($0) }
                    ranked.sort { a, b in
                        let fa = model[a]!, fb = model[b]!
                        return fa != fb ? fa > fb : ids[a] < ids[b]
                    }
                    for wanted in [0, 1, 2 + draw(20), draw(nodes), Int.max] {
                        let picked: [Int] = index.best(wanted, id: { ids[$0] }) { !excluded.contains($0) }.map { Int($0) }.sorted()
                        let expected: [Int] = Array(ranked.prefix(wanted)).sorted()
                        #expect(picked == expected, "seed \(seed) step \(step) wanted \(wanted)")
                        compared += 1
                    }
                }
            }
            #expect(compared > 500)
        }
    }

    @Test func gaugesCountRunningChunksWithoutRows() throws {
        var store = EmbeddedStore(seed: 9)
        let node = try F.onlineNode(&store, 1, capacity: 8)
        _ = try store.createJob(F.newJob(iterations: 5_000), upserting: F.config(1), now: F.t0)
        let snapshot = store.assignmentSnapshot(limit: 3, onlineWindow: .seconds(30))
        _ = try store.applyAssignments(snapshot.chunks.map { PlannedAssignment(chunkID: $0.id, nodeID: node) }, guarded: true)
        #expect(store.runningChunkCount() == 3)
        #expect(store.runningChunkCount() == store.runningChunks().count)
        guard case .gauges(let g) = StoreCall.gauges(onlineWindow: .seconds(30)).perform(on: &store) else {
            Issue.record("no gauges")
            return
        }
        #expect(g == StoreGauges(pendingChunks: 2, runningChunks: 3, onlineNodes: 1))
    }
}
