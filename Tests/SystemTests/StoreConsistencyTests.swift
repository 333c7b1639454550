import Testing

@testable import JobSystem

/// `EmbeddedStore.checkConsistency` is the observer's independent judge of the store: its
/// reordered passes (the chunk pass first, then one pass over the nodes) must report exactly
/// what the three-pass check before them reported, in the same order (the observer reports the
/// first three problems). Compared over a store with pending, running and completed chunks, a
/// deleted node and an offline one, under each single corruption and under seeded
/// combinations of them; every corruption must also be reported.
@Suite("Store consistency check")
struct StoreConsistencyTests {
    private typealias F = StoreFixtures

    /// Four online nodes (three running chunks), one offline, one deleted; two jobs of ten
    /// chunks, eight chunks assigned, two of them completed.
    static func store() throws -> (store: EmbeddedStore, online: [NodeID], deleted: Int) {
        var store = EmbeddedStore(seed: 21)
        let gone = try F.onlineNode(&store, 9, owner: F.user(2), capacity: 2)
        let goneHandle = store.nodeHandle(gone)!
        _ = try store.markNodesOffline(lastSeenBefore: F.t0 + .seconds(40), now: F.t0 + .seconds(40))
        _ = try store.cleanupStaleData(
            unclaimedBefore: F.t0, offlineBefore: F.t0 + .seconds(41), unusedConfigBefore: F.t0, now: F.t0 + .seconds(41))
        let later = F.t0 + .seconds(100)
        _ = try F.onlineNode(&store, 5, capacity: 2, at: later)
        let online = try (1...4).map {
            try F.onlineNode(&store, UInt8($0), owner: F.user(UInt64(1 + $0 % 2)), capacity: 4, at: later + .seconds(60))
        }
        _ = try store.markNodesOffline(lastSeenBefore: later + .seconds(30), now: later + .seconds(61))
        for j in 0..<2 {
            _ = try store.createJob(
                F.newJob(config: F.config(j), iterations: 10_000, chunk: 1_000), upserting: F.config(j), now: later + .seconds(61))
        }
        let pending = store.assignmentSnapshot(limit: 8, onlineSince: later + .seconds(30)).chunks
        let plan = pending.enumerated().map { PlannedAssignment(chunkID: $1.id, nodeID: online[$0 % 3]) }
        let applied = try store.applyAssignments(plan, guarded: true, now: later + .seconds(62))
        for a in applied.prefix(2) {
            _ = try store.completeChunk(
                Completion(nodeID: a.nodeID, chunkID: a.chunkID, attempt: a.attempt, result: F.result(iterations: 1_000)),
                rules: CompletionRules(), now: later + .seconds(63))
        }
        #expect(applied.count == 8 && store.chunkCount(.completed) == 2 && store.nodeCount(.offline) == 1)
        #expect(store.nodes[goneHandle] == nil)
        return (store, online, goneHandle)
    }

    /// Named corruptions, each a change of the store's own fields that leaves it inconsistent
    /// (each guarded, so that any sequence of them applies: a list emptied by one is left alone).
    static func corruptions(online: [NodeID], deleted: Int, in store: EmbeddedStore) -> [(String, (inout EmbeddedStore) -> Void)] {
        let a = store.nodeHandle(online[0])!, b = store.nodeHandle(online[1])!, idle = store.nodeHandle(online[3])!
        let running = (0..<store.chunkTotal).filter { store.chunkSlots[$0].status == .running }
        let pending = (0..<store.chunkTotal).filter { store.chunkSlots[$0].status == .pending }
        let completed = (0..<store.chunkTotal).filter { store.chunkSlots[$0].status == .completed }
        return [
            ("list short", { if !$0.nodeRunning[a].isEmpty { $0.nodeRunning[a].removeLast() } }),
            ("list long", { if let c = $0.nodeRunning[b].first { $0.nodeRunning[a].append(c) } }),
            ("list duplicated", { if $0.nodeRunning[a].count >= 2 { $0.nodeRunning[a][1].chunk = $0.nodeRunning[a][0].chunk } }),
            ("list names a chunk elsewhere", {
                if !$0.nodeRunning[a].isEmpty, let c = $0.nodeRunning[b].first { $0.nodeRunning[a][0] = c }
            }),
            ("list on an idle node", { if let c = $0.nodeRunning[b].first { $0.nodeRunning[idle].append(c) } }),
            ("running on the deleted node", { setNode(&$0.chunkSlots[running[0]], deleted) }),
            ("running on no node", { $0.chunkSlots[running[1]].node = ChunkSlot.noNode }),
            ("running without a claim", { $0.chunkSlots[running[2]].claimedAt = nil }),
            ("pending with a node", { setNode(&$0.chunkSlots[pending[0]], a) }),
            ("pending with a claim", { $0.chunkSlots[pending[1]].claimedAt = F.t0 }),
            ("completed without a result", { $0.chunkSlots[pending[2]].status = .completed }),
            ("completed made pending", { $0.chunkSlots[completed[0]].status = .pending }),
            ("chunk count", { $0.chunkStatusCounts[0] += 1 }),
            ("node count", { $0.nodeStatusCounts[1] += 1 }),
            ("job count", { $0.jobStatusCounts[2] += 1 }),
            ("dense running", { $0.nodeDense[b].running += 1 }),
            ("dense name", { $0.nodeDense[a].name = "other" }),
            ("row status", { $0.nodes[b]!.status = .offline }),
            ("row keeps last_seen_at", { $0.nodes[a]!.lastSeenAt = F.t0 }),
            ("deleted node has a status", { $0.nodeDense[deleted].status = .online }),
            ("node not indexed", { s in
                let dense = s.nodeDense
                s.nodeIndex.remove(dense[a].id.raw) { dense[$0].id.raw }
            }),
            ("job unfinished", { $0.jobUnfinished[0] += 1 }),
            ("job status", { $0.jobs[1].status = .completed }),
            ("job iterations", { $0.jobs[0].completedIterations += 7 }),
            ("job iterations above total", { $0.jobs[0].completedIterations = $0.jobs[0].totalIterations + 1 }),
            ("queued twice", { if let e = $0.pendingQueue.last { $0.pendingQueue.append(e) } }),
            ("queue out of order", {
                if $0.pendingQueue.count > $0.pendingHead { $0.pendingQueue.swapAt($0.pendingHead, $0.pendingQueue.count - 1) }
            }),
            ("pending not queued", { if $0.pendingQueue.count > $0.pendingHead { $0.pendingQueue.removeLast() } }),
        ]
    }

    /// `node_id` is NULL or `last_node_id` (`ChunkSlot.node`): both set.
    static func setNode(_ slot: inout ChunkSlot, _ node: Int) {
        slot.lastNode = Int32(node)
        slot.node = Int32(node)
    }

    @Test func reportsWhatTheThreePassCheckReportedInItsOrder() throws {
        let (base, online, deleted) = try Self.store()
        #expect(base.checkConsistency().isEmpty)
        #expect(base.checkConsistencyInThreePasses().isEmpty)
        let all = Self.corruptions(online: online, deleted: deleted, in: base)
        for (name, change) in all {
            var copy = base
            change(&copy)
            let problems = copy.checkConsistency()
            #expect(!problems.isEmpty, "\(name) went unreported")
            #expect(problems == copy.checkConsistencyInThreePasses(), "\(name)")
        }
        // Several at once (problems of several kinds: the order between kinds matters).
        for seed: UInt64 in 1...200 {
            var rng = SystemTestRNG(state: seed)
            var copy = base
            var names: [String] = []
            for _ in 0..<(2 + Int(rng.next() % 5)) {
                let (name, change) = all[Int(rng.next() % UInt64(all.count))]
                names.append(name)
                change(&copy)
            }
            #expect(copy.checkConsistency() == copy.checkConsistencyInThreePasses(), "seed \(seed): \(names)")
        }
    }
}

extension EmbeddedStore {
    /// The check as it was before its passes were reordered (9f3ff03), the reference for the
    /// problems and their order: the nodes' rows, the snapshot indexes, the chunks, the nodes'
    /// running lists, the node counts, the jobs, the pending queue.
    func checkConsistencyInThreePasses() -> [String] {
        var problems: [String] = []
        var owner: (user: UserID, discordID: String?)? = nil
        for handle in nodes.indices {
            guard let row = nodes[handle] else {
                if nodeDense[handle].seenMicros != .min || nodeDense[handle].status != nil {
                    problems.append("node handle \(handle) is deleted but its snapshot fields \(nodeDense[handle]) are not")
                }
                continue
            }
            if row.lastSeenAt != nil { problems.append("node \(row.id): the stored row keeps last_seen_at") }
            var discordID: String? = nil
            if let user = row.userID {
                if owner?.user != user { owner = (user, users[user]?.discordID) }
                discordID = owner!.discordID
            }
            let same = nodeDense[handle].id == row.id && nodeDense[handle].userID == row.userID
                && nodeDense[handle].status == row.status && nodeDense[handle].maxParallel == row.maxParallel
                && nodeDense[handle].name == row.name && nodeDense[handle].ownerDiscordID == discordID
                && nodeDense[handle].capacity == row.capacity && nodeDense[handle].running == nodeRunning[handle].count
            if !same {
                problems.append("node handle \(handle): snapshot fields \(nodeDense[handle]) differ from the row")
            }
        }
        problems += snapshotIndexProblems()
        var runningOn = [Int32](repeating: 0, count: nodes.count)
        var chunkCounts = [0, 0, 0]
        var jobDone = Array(repeating: 0, count: jobs.count)
        var jobDoneIterations = Array(repeating: 0, count: jobs.count)
        for (handle, slot) in chunkSlots.enumerated() {
            chunkCounts[slot.status.ordinal] += 1
            switch slot.status {
            case .running:
                let node = Int(slot.node)
                if node >= 0, nodes[node] != nil, nodeHandle(nodeDense[node].id) == node {
                    runningOn[node] += 1
                } else {
                    problems.append("chunk \(chunkID(handle)) is running without a live node")
                }
                if slot.claimedAt == nil { problems.append("chunk \(chunkID(handle)) is running without claimed_at") }
            case .pending:
                if slot.node >= 0 { problems.append("chunk \(chunkID(handle)) is pending with node_id set") }
                if slot.claimedAt != nil { problems.append("chunk \(chunkID(handle)) is pending with claimed_at set") }
            case .completed:
                if chunkResults.isNull(handle) { problems.append("chunk \(chunkID(handle)) is completed without a result") }
                jobDone[Int(slot.job)] += 1
                jobDoneIterations[Int(slot.job)] += chunkIterations(handle)
            }
        }
        if chunkCounts != chunkStatusCounts {
            problems.append("chunk counts by status \(chunkStatusCounts) but rows say \(chunkCounts)")
        }
        for handle in nodes.indices {
            let kept = nodeRunning[handle]
            var same = kept.count == Int(runningOn[handle])
            if same {
                for (i, claim) in kept.enumerated() {
                    let slot = chunkSlots[claim.chunk]
                    if slot.status != .running || Int(slot.node) != handle || claim.job != slot.job
                        || kept[..<i].contains(where: { $0.chunk == claim.chunk })
                    {
                        same = false
                        break
                    }
                }
            }
            if !same {
                let name = nodes[handle].map { "\($0.id)" } ?? "deleted node #\(handle)"
                problems.append("node \(name) has running count \(kept.count), rows say \(runningOn[handle])")
            }
        }
        var nodeCounts = [0, 0, 0]
        for handle in nodes.indices { if let status = nodes[handle]?.status { nodeCounts[status.ordinal] += 1 } }
        if nodeCounts != nodeStatusCounts {
            problems.append("node counts by status \(nodeStatusCounts) but rows say \(nodeCounts)")
        }
        var jobCounts = [0, 0, 0]
        for handle in jobs.indices {
            let row = jobs[handle]
            jobCounts[row.status.ordinal] += 1
            let own = jobChunks[handle].count
            let done = jobDone[handle]
            if jobUnfinished[handle] != own - done {
                problems.append("job \(row.id) counts \(jobUnfinished[handle]) unfinished chunks, rows say \(own - done)")
            }
            let expected: JobStatus = done == own ? .completed : (done == 0 ? .pending : .running)
            if row.status != expected {
                problems.append("job \(row.id) is \(row.status.rawValue) with \(done)/\(own) chunks completed")
            }
            if jobUncountedCompletions[handle] == 0 {
                let sum = jobDoneIterations[handle]
                if row.completedIterations != sum {
                    problems.append("job \(row.id) has completed_iterations \(row.completedIterations), completed chunks hold \(sum)")
                }
            }
            if row.completedIterations > row.totalIterations {
                problems.append("job \(row.id) has completed_iterations above total_iterations")
            }
        }
        if jobCounts != jobStatusCounts {
            problems.append("job counts by status \(jobStatusCounts) but rows say \(jobCounts)")
        }
        var queued = [UInt16](repeating: 0, count: chunkSlots.count)
        var lastSeq: Int64 = 0
        for entry in pendingQueue[pendingHead...] {
            if entry.seq <= lastSeq { problems.append("pending queue out of pending_seq order at \(entry.seq)") }
            lastSeq = entry.seq
            if isLive(entry), queued[entry.chunk] < .max { queued[entry.chunk] += 1 }
        }
        for (handle, slot) in chunkSlots.enumerated() where slot.status == .pending && queued[handle] != 1 {
            problems.append("pending chunk \(chunkID(handle)) is in the pending queue \(queued[handle]) times")
        }
        return problems
    }
}
