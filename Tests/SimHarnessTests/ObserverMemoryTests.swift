import Engine
import JobSystem
import Testing

@testable import SimHarness

/// The observer's compact structures answer what the whole snapshots and the node scan
/// answered: the tournament tree of `most-free-slots` against the rule's scan, and the
/// remembered snapshots against the snapshots they were made from.
@Suite("Observer memory")
struct ObserverMemoryTests {
    static func nodeID(_ k: UInt64) -> NodeID { NodeID(Identifier(high: 0, low: k)) }

    /// The rule as a scan, written from its statement: among eligible nodes with a free slot
    /// (other than `excluding`), the most free slots, then the lowest id, then the later one.
    static func scan(free: [Int], eligible: [Bool], ids: [NodeID], excluding: Int?) -> Int? {
        var best: Int? = nil
        for i in free.indices where i != excluding && free[i] > 0 && eligible[i] {
            guard let b = best else { best = i; continue }
            if free[i] > free[b] || (free[i] == free[b] && ids[i] <= ids[b]) { best = i }
        }
        return best
    }

    @Test(arguments: [UInt64(1), 2, 3, 4, 5, 6, 7, 8])
    func theTreeAnswersAsTheScan(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        for _ in 0..<60 {
            let n = Int(rng.next() % 40)
            // Few distinct values, so ties of free slots and of ids (a malformed snapshot's
            // repeated node) are common.
            var free = (0..<n).map { _ in Int(rng.next() % 4) - (rng.next() % 8 == 0 ? 1 : 0) }
            let eligible = (0..<n).map { _ in rng.next() % 5 != 0 }
            let ids = (0..<n).map { _ in Self.nodeID(rng.next() % UInt64(max(1, n))) }
            var tree = MostFreeTree(eligible: eligible, free: free, ids: ids)
            while true {
                let best = Self.scan(free: free, eligible: eligible, ids: ids, excluding: nil)
                #expect(tree.best == best)
                for k in 0..<n {
                    #expect(tree.best(excluding: k, free: free, ids: ids) == Self.scan(free: free, eligible: eligible, ids: ids, excluding: k))
                }
                // Take a slot, as a plan's row does: from the best node, or now and then from
                // another one, ineligible ones included.
                guard n > 0 else { break }
                let taken = rng.next() % 3 == 0 ? Int(rng.next() % UInt64(n)) : best
                guard let taken, free[taken] > 0 else { break }
                free[taken] -= 1
                tree.update(taken, free: free, ids: ids)
            }
        }
    }

    static func node(_ k: UInt64, capacity: Int = 4, running: Int = 0, permitted: [UserID] = []) -> AssignmentSnapshot.Node {
        AssignmentSnapshot.Node(
            id: nodeID(k), userID: nil, ownerDiscordID: nil, capacity: capacity, running: running, permittedUsers: permitted)
    }

    static func snapshot(_ nodes: [AssignmentSnapshot.Node], chunks: Int = 1) -> AssignmentSnapshot {
        let job = AssignmentSnapshot.Job(
            id: JobID(Identifier(high: 1, low: 1)), userID: UserID(Identifier(high: 2, low: 2)), accessType: .public,
            discordServerID: nil)
        let list = (0..<chunks).map {
            AssignmentSnapshot.Chunk(id: ChunkID(Identifier(high: 3, low: UInt64($0))), jobID: job.id, pendingSeq: Int64($0))
        }
        return AssignmentSnapshot(chunks: list, nodes: nodes, jobs: [job], morePending: false)
    }

    @Test func aNodeKeepsItsHandleWhateverTheOrderOfTheSnapshots() {
        var memory = SnapshotMemory()
        let first = memory.handles(of: [1, 2, 3, 5].map { Self.node($0) })
        #expect(first == [0, 1, 2, 3])
        // Sorted, with a node gone and one new: the walk finds the old ones.
        #expect(memory.handles(of: [1, 3, 4, 5].map { Self.node($0) }) == [0, 2, 4, 3])
        // Out of order: the lookups find them all the same.
        #expect(memory.handles(of: [5, 4, 2, 1, 6].map { Self.node($0) }) == [3, 4, 1, 0, 5])
        for k: UInt64 in [1, 2, 3, 4, 5, 6] { #expect(memory.nodeIDs[Int(memory.handle(of: Self.nodeID(k)))] == Self.nodeID(k)) }
    }

    /// The handles by the sorted arrays against a dictionary filled node by node, written from
    /// the rule (a node's handle is the count of nodes met before it): over seeded snapshots,
    /// mostly in id order, some shuffled, some with a node listed twice, and single lookups
    /// between them (a snapshot's stalest node, a chunk's last node).
    @Test(arguments: [UInt64(1), 2, 3, 4, 5, 6])
    func theSortedSearchGivesTheHandlesADictionaryWould(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        var memory = SnapshotMemory()
        var reference: [NodeID: Int32] = [:]
        var referenceIDs: [NodeID] = []
        func referenceHandle(_ id: NodeID) -> Int32 {
            if let h = reference[id] { return h }
            let h = Int32(referenceIDs.count)
            reference[id] = h
            referenceIDs.append(id)
            return h
        }
        let universe = UInt64(1 + rng.next() % 300)
        for _ in 0..<150 {
            var keys = (0..<Int(rng.next() % 60)).map { _ in rng.next() % universe }
            switch rng.next() % 6 {
            case 0: keys.shuffle(using: &rng)
            case 1: if let k = keys.first { keys.append(k) }
            default: keys.sort()
            }
            let nodes = keys.map { Self.node($0) }
            #expect(memory.handles(of: nodes) == nodes.map { referenceHandle($0.id) })
            for _ in 0..<Int(rng.next() % 3) {
                let id = Self.nodeID(rng.next() % (universe + 5))
                #expect(memory.handle(of: id) == referenceHandle(id))
            }
        }
        #expect(memory.nodeIDs == referenceIDs)
        #expect(memory.sortedIDs == referenceIDs.sorted())
        #expect(memory.sortedHandles == memory.sortedIDs.map { reference[$0]! })
    }

    /// `lowerBound(_:near:)` from every hint against the first position found by a linear scan.
    @Test func theSearchFindsTheFirstPositionNotBelowFromAnyHint() {
        var memory = SnapshotMemory()
        _ = memory.handles(of: [2, 4, 6, 8, 10, 12, 14].map { Self.node($0) })
        let n = memory.sortedIDs.count
        for k: UInt64 in 0...16 {
            let id = Self.nodeID(k)
            let expected = memory.sortedIDs.firstIndex { !($0 < id) } ?? n
            for hint in 0...n { #expect(memory.lowerBound(id, near: hint) == expected) }
        }
    }

    @Test func aRememberedSnapshotKeepsWhatTheChecksRead() {
        var memory = SnapshotMemory()
        let user = UserID(Identifier(high: 9, low: 9))
        let a = Self.snapshot([Self.node(1, capacity: 4, running: 1), Self.node(2, capacity: 2, running: 5)], chunks: 2)
        let ra = memory.remembered(a, handles: memory.handles(of: a.nodes))
        #expect(ra.free == [3, 0])
        #expect(ra.chunkIDs == a.chunks.map(\.id))
        #expect(ra.chunkJobs == [0, 0])
        #expect(ra.chunkLastNodes == [-1, -1])
        #expect(memory.facts.count == 2)
        // The same nodes again: no new facts; node 2 given a permission: new facts for it only,
        // and the earlier snapshot still reads the old ones.
        _ = memory.remembered(a, handles: memory.handles(of: a.nodes))
        #expect(memory.facts.count == 2)
        let b = Self.snapshot([Self.node(1), Self.node(2, permitted: [user])])
        let rb = memory.remembered(b, handles: memory.handles(of: b.nodes))
        #expect(memory.facts.count == 3)
        #expect(rb.nodeFacts[0] == ra.nodeFacts[0])
        #expect(memory.facts[Int(ra.nodeFacts[1])].permittedUsers == [])
        #expect(memory.facts[Int(rb.nodeFacts[1])].permittedUsers == [user])
    }

    @Test func onlyTheLastThirtyTwoSnapshotsAreKept() {
        var memory = SnapshotMemory()
        for k in 0..<40 {
            let s = Self.snapshot([Self.node(UInt64(k))])
            memory.keep(memory.remembered(s, handles: memory.handles(of: s.nodes)))
        }
        #expect(memory.recent.count == SnapshotMemory.capacity)
        #expect(memory.recent.first?.nodeFacts == [Int32(40 - SnapshotMemory.capacity)])
        #expect(memory.recent.last?.nodeFacts == [39])
    }

    // MARK: Chunks

    @Test(arguments: [UInt64(1), 2, 3])
    func aPayloadNamesAChunkExactlyWhenItIsItsUUIDString(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        for _ in 0..<200 {
            let id = Identifier(high: rng.next(), low: rng.next())
            let text = id.uuidString
            #expect(Observer.canonicalIdentifier(text) == id)
            // Any other spelling is not the chunk's: upper case, a character more or less,
            // a hyphen moved.
            if text.contains(where: { "abcdef".contains($0) }) { #expect(Observer.canonicalIdentifier(text.uppercased()) == nil) }
            #expect(Observer.canonicalIdentifier(text + "0") == nil)
            #expect(Observer.canonicalIdentifier(String(text.dropLast())) == nil)
            var moved = Array(text)
            moved.swapAt(8, 9)
            #expect(Observer.canonicalIdentifier(String(moved)) == nil)
        }
        let ids = (0..<20).map { _ in ChunkID(Identifier(high: rng.next(), low: rng.next())) }
        let payloads = ids.map(\.uuidString) + ["", "not a chunk", ids[0].uuidString.uppercased()]
        #expect(Observer.chunkIDs(payloads) == ids.sorted())
    }

    /// Every one-byte change of a chunk id's spelling names the id with that digit changed, if
    /// it puts a lowercase digit where a digit was (or the hyphen back where it was), and
    /// nothing otherwise.
    @Test(arguments: [UInt64(1), 2])
    func aChangedByteNamesAnotherIdentifierOrNone(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        let hyphens = [8, 13, 18, 23]
        let digits = Array("0123456789abcdef".utf8)
        for _ in 0..<40 {
            let id = Identifier(high: rng.next(), low: rng.next())
            let text = Array(id.uuidString.utf8)
            for position in 0..<36 {
                for c in Array("0159afgAF-/:`@ é".utf8) {
                    var bytes = text
                    bytes[position] = c
                    let expected: Identifier?
                    if hyphens.contains(position) {
                        expected = c == UInt8(ascii: "-") ? id : nil
                    } else if let value = digits.firstIndex(of: c) {
                        // The digit's place: the k-th of 32, the high word's first.
                        let k = position - hyphens.filter { $0 < position }.count
                        let shift = UInt64(15 - k % 16) * 4
                        let word = k < 16 ? id.high : id.low
                        let changed = word & ~(0xF << shift) | UInt64(value) << shift
                        expected = k < 16 ? Identifier(high: changed, low: id.low) : Identifier(high: id.high, low: changed)
                    } else {
                        expected = nil
                    }
                    #expect(Observer.canonicalIdentifier(String(decoding: bytes, as: UTF8.self)) == expected)
                }
            }
        }
    }

    // MARK: Recent events

    /// The ring names the last `recentCapacity` events, oldest first, however many came.
    @Test(arguments: [0, 1, 23, 24, 25, 47, 48, 61])
    func theRingNamesTheLastEventsOldestFirst(events: Int) {
        var observer = Observer(profile: .fixed, compute: .standIn)
        var lines: [String] = []
        for k in 0..<events {
            let time = SimInstant(nanoseconds: Int64(k) * 1_000_000_007)
            let e = WorldDelivery(
                time: time, actor: ActorID(k % 5), from: ActorID(k % 3), kind: .control, payload: k % 2 == 0 ? .listen : .listenAck)
            observer.noteEvent(e)
            lines.append("t=\(time) a\(k % 5)<-a\(k % 3) \(k % 2 == 0 ? "listen" : "listen_ack")")
        }
        #expect(observer.recentLines() == Array(lines.suffix(Observer.recentCapacity)))
        #expect(observer.recent.count == Observer.recentCapacity)
    }

    // MARK: Heartbeats by key spelling

    /// The event kinds `noteEvent` tests by number are the ones it means.
    @Test func theKindsTheObserverPrefetchesForAreApiAndNodeTimer() {
        #expect(WorldEvent.kindNames[Observer.apiKind] == "api")
        #expect(WorldEvent.kindNames[Observer.nodeTimerKind] == "node_timer")
    }

    /// A heartbeat is recorded under its key's spelling whether or not the observer is told
    /// which client sent it (the client only picks the slot tried first): clients that change
    /// keys, share keys, send odd spellings, and are refused, over seeded sequences, leave the
    /// same time under every spelling as an observer told nothing.
    @Test(arguments: [UInt64(1), 2, 3])
    func theClientHintChangesNoRecordedHeartbeat(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        let keys = (0..<40).map { _ in PublicKey(storage: Bytes32((0..<32).map { _ in UInt8(truncatingIfNeeded: rng.next()) })!).base64 }
        var spellings = keys + [" " + keys[0], keys[1] + "\t", "", "x"]
        spellings.append(String(repeating: "k", count: 60))
        var hinted = Observer(profile: .fixed, compute: .standIn)
        var plain = Observer(profile: .fixed, compute: .standIn)
        // Each client's current key; now and then it takes another one.
        var keyOf = (0..<30).map { _ in Int(rng.next() % UInt64(spellings.count)) }
        // The reference: the last accepted heartbeat's time by spelling.
        var model: [String: SimInstant] = [:]
        for step in 0..<3_000 {
            let client = Int(rng.next() % UInt64(keyOf.count))
            if rng.next() % 10 == 0 { keyOf[client] = Int(rng.next() % UInt64(spellings.count)) }
            let request = APIRequest(
                method: "POST", path: rng.next() % 8 == 0 ? "/chunk-complete" : "/node-heartbeat",
                headers: [RequestSigning.keyHeader: spellings[keyOf[client]]])
            let status = [200, 200, 200, 401, 409][Int(rng.next() % 5)]
            let outcome = HandlerOutcome(response: APIResponse(status: status, body: []))
            let time = SimInstant(nanoseconds: Int64(step) * 1_000_000)
            hinted.now = time
            plain.now = time
            hinted.noteAPI(request, outcome, fromAttacker: false, client: ActorID(client + 3))
            plain.noteAPI(request, outcome, fromAttacker: false)
            if request.path == "/node-heartbeat" && status == 200 { model[spellings[keyOf[client]]] = time }
        }
        #expect(hinted.heartbeatKeys.count == plain.heartbeatKeys.count)
        for s in spellings {
            let a = hinted.heartbeatKeys.find(s).flatMap { hinted.heartbeatKeys.time($0) }
            let b = plain.heartbeatKeys.find(s).flatMap { plain.heartbeatKeys.time($0) }
            #expect(a == model[s] && b == model[s])
        }
        #expect(!model.isEmpty)
        #expect(hinted.honestCompletionsRefused == plain.honestCompletionsRefused)
        #expect(hinted.heartbeatKeys.isConsistent())
    }
}
