import PropertyBased
import Testing

@testable import JobSystem

/// The embedded store's own tests, at exact instants of the store's clock
/// (`EmbeddedStore+TestClock`): what only an in-memory store can show (copies, identifiers from
/// the seed, its consistency report, random workloads). Every operation's contract is in the
/// two-store suite, `Tests/StoreContractTests`, which runs on this store and on PostgreSQL.
enum StoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case embedded

    func make(seed: UInt64 = 7, trigger: Bool = true) -> EmbeddedStore {
        switch self {
        case .embedded: return EmbeddedStore(seed: seed, triggerInstalled: trigger)
        }
    }

    var testDescription: String { rawValue }
}

/// Rows and values shared by the store and handler tests.
enum StoreFixtures {
    static let t0 = Timestamp(unixSeconds: 1_700_000_000)
    static let sha = SodiumSHA256()

    static func user(_ n: UInt64) -> UserID { UserID(Identifier(high: n, low: n)) }

    static func key(_ n: UInt8) -> PublicKey { PublicKey(bytes: [UInt8](repeating: n, count: 32))! }

    static func config(_ n: Int) -> NewConfig {
        let text = "{\"n\":\(n)}"
        return NewConfig(hash: ConfigHash(digest: sha.sha256(Array(text.utf8))), canonicalJSON: text, rotationID: nil)
    }

    static func newJob(
        user: UserID = user(1), config: NewConfig = config(1), iterations: Int, chunk: Int = 1_000,
        access: AccessType = .public
    ) -> NewJob {
        NewJob(
            userID: user, configHash: config.hash, totalIterations: iterations, chunkIterations: chunk,
            accessType: access, discordServerID: nil)
    }

    /// A tally of `iterations` fights of 300 s whose damages are `base`, `base+1`, ….
    static func result(iterations: Int, base: UInt64 = 1_000_000, fight: Int = 300) -> ChunkResult {
        ChunkResult(tally: DamageTally(
            fightLengthSeconds: fight, iterationDamages: (0..<UInt64(iterations)).map { base + $0 }))
    }

    static func registration(_ n: UInt8, code: String? = nil, cores: Int = 4, parallel: Int = 4) -> NodeRegistration {
        NodeRegistration(
            publicKey: key(n), claimCode: code ?? "C\(String(n, radix: 10).leftPadded(5))", name: "node\(n)",
            totalCores: cores, maxParallel: parallel, platform: "linux", version: "1.0")
    }

    /// Registers, claims (by `owner`) and heartbeats a node; returns its id.
    static func onlineNode(
        _ store: inout EmbeddedStore, _ n: UInt8, owner: UserID = user(1), capacity: Int = 4, at now: Timestamp = t0
    ) throws -> NodeID {
        let registered = try store.registerNode(registration(n, cores: capacity, parallel: capacity), now: now)
        _ = try store.claimNode(claimCode: registered.node.claimCode, by: owner, now: now)
        _ = try store.heartbeat(registered.node.id, now: now)
        return registered.node.id
    }

    /// The embedded store's own consistency report (other stores: nothing to check here).
    static func problems(_ store: EmbeddedStore) -> [String] {
        store.checkConsistency()
    }

    /// Everything observable through the protocol's reads, for "nothing changed" checks.
    static func fingerprint(_ store: EmbeddedStore, users: [UserID], nodes: [PublicKey]) -> String {
        var copy = store
        var lines: [String] = []
        for user in users {
            for job in store.jobs(ofUser: user) {
                lines.append("\(job)")
                lines += store.chunks(ofJob: job.id).map { "\($0)" }
            }
        }
        lines += nodes.map { "\(String(describing: store.node(publicKey: $0)))" }
        lines.append("pending \(store.pendingChunkCount()) running \(store.runningChunks().map(\.id))")
        lines.append("notifications \(copy.takeNotifications())")
        return lines.joined(separator: "\n")
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}

@Suite("Embedded store")
struct EmbeddedStoreTests {
    typealias F = StoreFixtures

    // MARK: Jobs and chunks

    @Test func chunkingTilesTheIterations() async {
        await propertyCheck(count: 200, input: Gen.int(in: 1...20_000), Gen.int(in: 1...3_000)) { total, size in
            var store = StoreKind.embedded.make()
            let created = try! store.createJob(
                F.newJob(iterations: total, chunk: size), upserting: F.config(1), now: F.t0)
            let chunks = store.chunks(ofJob: created.jobID)
            #expect(chunks.count == (total + size - 1) / size)
            var next: Int64 = 0
            for chunk in chunks {
                #expect(chunk.seedOffset == next)
                #expect(chunk.iterations >= 1 && chunk.iterations <= size)
                next += Int64(chunk.iterations)
            }
            #expect(next == Int64(total))
            #expect(chunks.dropLast().allSatisfy { $0.iterations == size })
        }
    }

    @Test(arguments: StoreKind.allCases)
    func sameSeedSameNames(kind: StoreKind) throws {
        func run(_ seed: UInt64) throws -> [String] {
            var store = kind.make(seed: seed)
            let job = try store.createJob(F.newJob(iterations: 3_000), upserting: F.config(1), now: F.t0)
            let node = try store.registerNode(F.registration(1), now: F.t0)
            return [job.jobID.uuidString, node.node.id.uuidString] + store.chunks(ofJob: job.jobID).map(\.id.uuidString)
        }
        #expect(try run(42) == run(42))
        #expect(try run(42) != run(43))
    }

    // MARK: Nodes

    /// Registrations go through a small sorted buffer merged into the node order in batches:
    /// the order read at any point (snapshots, crons, `allNodes`) is every live node by id.
    @Test
    func nodeOrderSortedAcrossRegistrationBatches() throws {
        var store = EmbeddedStore(seed: 11)
        var ids: [NodeID] = []
        for n in 0..<700 {
            var bytes = [UInt8](repeating: 0xA5, count: 32)
            bytes[0] = UInt8(n & 0xFF)
            bytes[1] = UInt8(n >> 8)
            let registration = NodeRegistration(
                publicKey: PublicKey(bytes: bytes)!, claimCode: "K\(n)", name: "n\(n)", totalCores: 4, maxParallel: 4,
                platform: "linux", version: "1.0")
            ids.append(try store.registerNode(registration, now: F.t0).node.id)
            if [0, 1, 254, 255, 256, 257, 511, 512, 699].contains(n) {
                #expect(store.allNodes.map(\.id) == ids.sorted())
            }
        }
        #expect(store.checkConsistency().isEmpty)
        // Unclaimed nodes are deleted by the cleanup after an hour: the order empties.
        store.now = F.t0 + .seconds(7_200)
        let counts = try store.cleanupStaleData(
            CleanupAges(unclaimedNode: .seconds(3_600), offlineNode: .seconds(86_400), unusedConfig: .seconds(86_400)))
        #expect(counts.unclaimedNodes == 700)
        #expect(store.allNodes.isEmpty)
    }

    @Test(arguments: StoreKind.allCases)
    func heartbeatRules(kind: StoreKind) throws {
        var store = kind.make()
        let node = try store.registerNode(F.registration(1), now: F.t0).node
        #expect(throws: StoreError.nodeNotClaimed(node.id)) { try store.heartbeat(node.id, now: F.t0) }
        #expect(throws: StoreError.nodeNotFound) { try store.heartbeat(NodeID(Identifier(high: 1, low: 2)), now: F.t0) }
        _ = try store.claimNode(claimCode: node.claimCode, by: F.user(1), now: F.t0)
        let beat = try store.heartbeat(node.id, now: F.t0 + .seconds(10))
        #expect(beat.status == .online && beat.lastSeenAt == F.t0 + .seconds(10))
        #expect(try store.markNodesOffline(lastSeenBefore: F.t0 + .seconds(11), now: F.t0 + .minutes(6)) == 1)
        #expect(store.node(node.id)?.status == .offline)
        #expect(try store.heartbeat(node.id, now: F.t0 + .minutes(7)).status == .online)
    }

    @Test(arguments: StoreKind.allCases)
    func offlineMarkingOnlyOldOnlineNodes(kind: StoreKind) throws {
        var store = kind.make()
        let old = try F.onlineNode(&store, 1, at: F.t0)
        let fresh = try F.onlineNode(&store, 2, at: F.t0 + .minutes(5))
        let unclaimed = try store.registerNode(F.registration(3), now: F.t0).node.id
        #expect(try store.markNodesOffline(lastSeenBefore: F.t0 + .minutes(1), now: F.t0 + .minutes(6)) == 1)
        #expect(store.node(old)?.status == .offline)
        #expect(store.node(fresh)?.status == .online)
        #expect(store.node(unclaimed)?.status == .pending)
        #expect(try store.markNodesOffline(lastSeenBefore: F.t0 + .minutes(1), now: F.t0 + .minutes(7)) == 0)
    }

    // MARK: The store's clock

    /// Calls carry intervals and the store measures them on its own clock: what "online" means
    /// depends on the store's `now`, never on the clock of whoever sent the call (a sentinel
    /// 3 s behind asks the very same question).
    @Test func windowsAreMeasuredOnTheStoreClock() throws {
        var store = StoreKind.embedded.make()
        let job = try store.createJob(F.newJob(iterations: 1_000), upserting: F.config(1), now: F.t0)
        let node = try F.onlineNode(&store, 1, at: F.t0)
        let call = StoreCall.snapshot(limit: 10, onlineWindow: .seconds(45))
        store.now = F.t0 + .seconds(44)
        guard case .snapshot(let seen) = call.perform(on: &store) else { Issue.record("no snapshot"); return }
        #expect(seen.nodes.map(\.id) == [node])
        store.now = F.t0 + .seconds(46)
        guard case .snapshot(let gone) = call.perform(on: &store) else { Issue.record("no snapshot"); return }
        #expect(gone.nodes.isEmpty && gone.chunks.map(\.jobID) == [job.jobID])
        // The guarded apply re-checks on the same clock.
        let chunk = store.chunks(ofJob: job.jobID)[0].id
        let apply = StoreCall.apply(plan: [PlannedAssignment(chunkID: chunk, nodeID: node)], guarded: true, onlineWindow: .seconds(45))
        #expect(apply.perform(on: &store) == .applied([]))
        store.now = F.t0 + .seconds(30)
        guard case .applied(let made) = apply.perform(on: &store) else { Issue.record("no apply"); return }
        #expect(made.map(\.claimedAt) == [F.t0 + .seconds(30)])
    }

    /// `hasNotifications` (what the API server asks before taking them) says whether
    /// `takeNotifications()` would answer any, over steps that notify (a new job's pending
    /// chunks) and steps that do not (heartbeats), with the notifications taken now and then.
    @Test func hasNotificationsIsWhetherTakeAnswersAny() {
        var store = EmbeddedStore(seed: 11)
        var now = F.t0
        var nodes: [NodeID] = []
        for n in 1...3 { nodes.append(try! F.onlineNode(&store, UInt8(n), capacity: n)) }
        var saw = (some: false, none: false)
        for step in 1...60 {
            now = now + .seconds(20)
            switch step % 4 {
            case 0:
                _ = try! store.createJob(
                    F.newJob(config: F.config(step % 3), iterations: 50 + step * 37, chunk: 100), upserting: F.config(step % 3), now: now)
            case 1:
                _ = try! store.reclaimChunksOfSilentNodes(silentSince: now - .seconds(1), now: now)
            default:
                for node in nodes { _ = try! store.heartbeat(node, now: now) }
            }
            var copy = store
            let taken = copy.takeNotifications()
            #expect(store.hasNotifications == !taken.isEmpty, "step \(step)")
            if taken.isEmpty { saw.none = true } else { saw.some = true }
            if step % 3 == 0 {
                _ = store.takeNotifications()
                #expect(!store.hasNotifications, "step \(step)")
            }
        }
        #expect(saw.some && saw.none)
    }

    // MARK: Whole-store properties

    /// Random operation sequences keep every derived field consistent, and the same seed
    /// gives the same store.
    @Test func randomWorkloadsStayConsistent() async {
        await propertyCheck(count: 30, input: Gen.uint64(), Gen.int(in: 0...5).array(of: 20...120)) { seed, ops in
            func run() -> (String, [String]) {
                var store = EmbeddedStore(seed: seed)
                var now = F.t0
                var nodes: [NodeID] = []
                for n in 1...4 { nodes.append(try! F.onlineNode(&store, UInt8(n), capacity: n)) }
                var problems: [String] = []
                var step = 0
                for op in ops {
                    step += 1
                    now = now + .seconds(20)
                    switch op {
                    case 0:
                        _ = try! store.createJob(F.newJob(config: F.config(step % 3), iterations: 50 + step * 37, chunk: 100), upserting: F.config(step % 3), now: now)
                    case 1, 2:
                        let snap = store.assignmentSnapshot(limit: 5, onlineSince: now - .hours(1))
                        let plan = snap.chunks.enumerated().map { PlannedAssignment(chunkID: $1.id, nodeID: nodes[($0 + step) % nodes.count]) }
                        _ = try? store.applyAssignments(plan, guarded: op == 1, now: now)
                    case 3:
                        for chunk in store.runningChunks().prefix(3) {
                            let who = step % 5 == 0 ? nodes[step % nodes.count] : chunk.nodeID!
                            _ = try! store.completeChunk(
                                Completion(nodeID: who, chunkID: chunk.id, attempt: chunk.attempt, result: F.result(iterations: chunk.iterations)),
                                rules: CompletionRules(requireClaim: step % 7 != 0), now: now)
                        }
                    case 4:
                        _ = try! store.reapStaleChunks(claimedBefore: now - .minutes(2), now: now)
                    default:
                        _ = try! store.reclaimChunksOfSilentNodes(silentSince: now - .seconds(1), now: now)
                        for node in nodes { _ = try! store.heartbeat(node, now: now) }
                    }
                    problems += F.problems(store).map { "step \(step): \($0)" }
                    // The observer's read of a job's results agrees with the rows' results.
                    for job in store.allJobs where store.chunkResults(ofJob: job.id) != store.chunks(ofJob: job.id).compactMap(\.result) {
                        problems.append("step \(step): chunkResults(ofJob: \(job.id)) differs from the rows' results")
                    }
                }
                let digest = store.runningChunks().map { "\($0.id)@\($0.nodeID!)#\($0.attempt)" }.joined(separator: ",")
                    + " \(store.takeNotifications().count) \(store.pendingChunkCount())"
                return (digest, problems)
            }
            let first = run(), second = run()
            #expect(first.1.isEmpty, "\(first.1.prefix(5))")
            #expect(first.0 == second.0)
        }
    }
}

/// `jobs(ofUser:)` against a reference written out here: newest `created_at` first, ties in
/// reverse creation order, over seeded sequences of creates by a few users whose times mostly
/// advance but sometimes repeat or step back (the store's clock can), so that both its paths
/// (the creation order taken as it is, and the sort) are compared.
@Suite struct JobsOfUserOrderTests {
    @Test(arguments: [UInt64(1), 2, 3, 4, 5, 6])
    func newestFirstWithTiesNewestCreatedFirst(seed: UInt64) throws {
        var store = StoreKind.embedded.make(seed: seed)
        var rng = SplitMix64(seed: seed)
        var created: [UserID: [(id: JobID, at: Timestamp)]] = [:]
        var t = StoreFixtures.t0
        let stepsBack = seed % 2 == 0
        for _ in 0..<60 {
            let roll = rng.next() % 10
            if roll < 6 { t = t + .seconds(Int64(1 + rng.next() % 5)) }
            else if roll < 8 || !stepsBack { /* the same instant again */ }
            else { t = t - .seconds(Int64(1 + rng.next() % 20)) }
            let user = StoreFixtures.user(1 + rng.next() % 3)
            let job = try store.createJob(
                StoreFixtures.newJob(user: user, iterations: 1_000), upserting: StoreFixtures.config(1), now: t)
            created[user, default: []].append((job.jobID, t))
        }
        for (user, list) in created {
            // Reference: by time descending; within a time, the later-created first.
            let expected = list.enumerated().sorted { a, b in
                a.element.at != b.element.at ? a.element.at > b.element.at : a.offset > b.offset
            }.map(\.element.id)
            #expect(store.jobs(ofUser: user).map(\.id) == expected)
        }
        #expect(store.jobs(ofUser: StoreFixtures.user(99)).isEmpty)
    }
}
