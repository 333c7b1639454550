import Engine
import JobSystem

/// The checks behind `heartbeating-nodes-online`, `most-free-slots` and the measure-based
/// expectations (`Expectations`).
extension Observer {
    // MARK: Heartbeats and offline marking

    /// Remembers what honest clients were answered: accepted heartbeats (by the key that signed
    /// them) and refused completions.
    mutating func noteHonest(_ request: APIRequest, _ response: APIResponse, client: ActorID? = nil) {
        switch request.path {
        case "/node-heartbeat" where response.status == 200:
            // The key's bytes read in place (no copy of its string: `withNodeKeyText`); a
            // spelling of the name only `nodeKey`'s full lowercasing matches, as a string.
            if let slot = request.headers.withNodeKeyText({ heartbeatSlot(bytes: $0, client: client) }) {
                heartbeatKeys.setTime(slot, now)
            } else if let key = Self.nodeKey(request) {
                heartbeatKeys.setTime(heartbeatSlot(key, client: client), now)
            }
        case "/chunk-complete" where response.status == 409:
            honestCompletionsRefused += 1
        default:
            break
        }
    }

    /// The slot of `key`'s spelling in `heartbeatKeys` (made on first use), tried first at the
    /// slot the client's last accepted heartbeat had.
    mutating func heartbeatSlot(_ key: String, client: ActorID?) -> Int {
        var key = key
        return key.withUTF8 { heartbeatSlot(bytes: $0, client: client) }
    }

    /// `heartbeatSlot(_:client:)` of a key spelled by these UTF-8 bytes.
    @inline(__always)
    mutating func heartbeatSlot(bytes key: UnsafeBufferPointer<UInt8>, client: ActorID?) -> Int {
        guard let client, client.index >= 0 else { return heartbeatKeys.slot(bytes: key, hint: -1) }
        let c = Int(client.index)
        if c >= heartbeatSlotByClient.count {
            heartbeatSlotByClient.append(contentsOf: repeatElement(-1, count: c + 1 - heartbeatSlotByClient.count))
        }
        let hint = Int(heartbeatSlotByClient[c])
        let slot = heartbeatKeys.slot(bytes: key, hint: hint)
        if slot != hint { heartbeatSlotByClient[c] = Int32(truncatingIfNeeded: slot) }
        return slot
    }

    /// The `X-Node-Key` header, whatever its spelling (today's unsigned nodes send none).
    static func nodeKey(_ request: APIRequest) -> String? {
        if let key = request.headers[RequestSigning.keyHeader] { return key }
        for (name, value) in request.headers where name.lowercased() == RequestSigning.keyHeader.lowercased() { return value }
        return nil
    }

    /// When the node's key (spelled as `PublicKey.base64`) last had a heartbeat accepted; nil if
    /// never, or if the node has no row.
    mutating func lastHeartbeat(of id: NodeID, store: borrowing EmbeddedStore) -> SimInstant? {
        lastHeartbeat(ofHandle: snapshots.handle(of: id), store: store)
    }

    /// `lastHeartbeat(of:store:)` by the node's handle: the key is base64-encoded and hashed
    /// once per node, not for every node of every snapshot (that was a tenth of a fleet run).
    /// Inlined into the snapshot's walk; the first lookup of a node is not.
    @inline(__always)
    mutating func lastHeartbeat(ofHandle h: Int32, store: borrowing EmbeddedStore) -> SimInstant? {
        let known = snapshots.heartbeatSlots[Int(h)]
        if known >= 0 { return heartbeatKeys.time(Int(known)) }
        return firstHeartbeatLookup(ofHandle: h, store: store)
    }

    /// `lastHeartbeat(ofHandle:store:)` for a node whose slot is not known yet.
    @inline(never)
    mutating func firstHeartbeatLookup(ofHandle h: Int32, store: borrowing EmbeddedStore) -> SimInstant? {
        guard let row = store.node(snapshots.nodeIDs[Int(h)]) else { return nil }
        let slot = heartbeatKeys.slot(row.publicKey.base64)
        snapshots.heartbeatSlots[Int(h)] = Int32(slot)
        return heartbeatKeys.time(slot)
    }

    /// A node just marked offline: the store must not have heard a heartbeat from it within the
    /// offline-marking age (times are the world's, so no clock of the store's is trusted).
    mutating func checkMarkedOffline(_ id: NodeID, store: borrowing EmbeddedStore) {
        guard let node = store.node(id), let beat = lastHeartbeat(of: id, store: store) else { return }
        let age = now - beat
        if age.seconds < profile.offlineMarkingAge.seconds {
            violate(.heartbeatingNodesOnline, "\(node.name) marked offline \(age.seconds)s after its last accepted heartbeat; offline after \(profile.offlineMarkingAge.seconds)s")
        }
    }

    // MARK: Most free slots

    mutating func rememberSnapshot(_ snapshot: AssignmentSnapshot, store: borrowing EmbeddedStore) {
        // The snapshot's nodes are online ones (those the planner can use): none silent for
        // longer than the scheduler's window (by the heartbeats the store accepted; a second of
        // slack for the boundary). Nodes it counts online without listing them are checked
        // through the one seen longest ago, which a wrong window lets in first.
        let window = profile.sentinelOnlineWindow.seconds
        let handles = snapshots.handles(of: snapshot.nodes)
        func check(_ handle: Int32, _ id: NodeID) {
            guard let beat = lastHeartbeat(ofHandle: handle, store: store) else { return }
            let age = (now - beat).seconds
            if age > window + 1 {
                let name = store.node(id)?.name ?? "\(id)"
                violate(.heartbeatingNodesOnline, "the snapshot offers \(name), whose last heartbeat was \(age)s ago; online window \(window)s")
            }
        }
        for k in handles.indices { check(handles[k], snapshot.nodes[k].id) }
        if let stalest = snapshot.stalestOnlineNode, !snapshot.nodes.contains(where: { $0.id == stalest }) {
            check(snapshots.handle(of: stalest), stalest)
        }
        guard !snapshot.chunks.isEmpty else { return }
        snapshots.keep(snapshots.remembered(snapshot, handles: handles))
    }

    /// A plan must follow the rule from one of the recent snapshots it could come from (its
    /// chunks in the snapshot's order), newest first: with two sentinels their snapshots
    /// interleave, a duplicated call makes two, a delayed apply arrives after later ones, and
    /// the observer does not ask the world whose plan it is.
    mutating func checkMostFreeSlots(_ plan: [PlannedAssignment]) {
        guard !plan.isEmpty else { return }
        var firstProblem: String? = nil
        let planChunks = plan.map(\.chunkID)
        for snapshot in snapshots.recent.reversed() where Self.isSubsequence(planChunks, of: snapshot.chunkIDs) {
            guard let problem = planProblem(plan, from: snapshot, in: snapshots) else { return }
            if firstProblem == nil { firstProblem = problem }
        }
        if let firstProblem { violate(.mostFreeSlots, firstProblem) }
    }

    static func isSubsequence(_ xs: [ChunkID], of ys: [ChunkID]) -> Bool {
        var j = 0
        for x in xs {
            while j < ys.count && ys[j] != x { j += 1 }
            guard j < ys.count else { return false }
            j += 1
        }
        return true
    }

    /// What is wrong with `plan` as a plan of `snapshot`, or nil (see the other overload).
    public func planProblem(_ plan: [PlannedAssignment], from snapshot: AssignmentSnapshot) -> String? {
        var memory = snapshots
        let handles = memory.handles(of: snapshot.nodes)
        let remembered = memory.remembered(snapshot, handles: handles)
        return planProblem(plan, from: remembered, in: memory)
    }

    /// What is wrong with `plan` as a plan of `snapshot`, or nil. The rule, restated here from
    /// the specification: chunks in the snapshot's order; each to the eligible node with the
    /// most free slots (capacity − running − rows of this plan before it), ties to the lowest
    /// node id; a chunk whose last claim was reaped may go to the best node other than its last
    /// one (and must, while that one has room: but either choice is accepted here, a sentinel
    /// of today's version having no such rule); a chunk is left out only if no eligible node
    /// has a free slot.
    func planProblem(_ plan: [PlannedAssignment], from snapshot: SnapshotMemory.Remembered, in memory: SnapshotMemory) -> String? {
        let count = snapshot.nodeFacts.count
        // Plain arrays of what the checks read: ids, handles and free slots by position.
        var ids: [NodeID] = []
        var handles: [Int32] = []
        ids.reserveCapacity(count)
        handles.reserveCapacity(count)
        var ascending = true
        for f in snapshot.nodeFacts {
            let h = memory.facts[Int(f)].node
            let id = memory.nodeIDs[Int(h)]
            if let previous = ids.last, !(previous < id) { ascending = false }
            ids.append(id)
            handles.append(h)
        }
        var free = snapshot.free
        // Eligibility is a pure function of (job, node): one tree per job of the snapshot that a
        // checked chunk names, built on first use, each kept current as the plan takes slots.
        var trees: [MostFreeTree?] = Array(repeating: nil, count: snapshot.jobs.count)
        var built: [Int] = []
        var next = 0
        // A budget of node visits per plan (what the scan this replaced made): a 10,000-node
        // fleet's plans are checked on their first chunks only (the rule is the same for the
        // rest; the run stays fast).
        var budget = 200_000
        for c in snapshot.chunkIDs.indices {
            budget -= 2 * count
            if budget < 0 { return nil }
            let jobIndex = Int(snapshot.chunkJobs[c])
            guard jobIndex >= 0 else { continue }
            if trees[jobIndex] == nil {
                let job = snapshot.jobs[jobIndex]
                // Every node is eligible for a public job (`trulyEligible`): no facts to read.
                let eligible = job.accessType == .public
                    ? [Bool](repeating: true, count: count)
                    : snapshot.nodeFacts.map { trulyEligible(job, memory.facts[Int($0)]) }
                trees[jobIndex] = MostFreeTree(eligible: eligible, free: free, ids: ids)
                built.append(jobIndex)
            }
            let chunkID = snapshot.chunkIDs[c]
            let lastHandle = snapshot.chunkLastNodes[c]
            let last = lastHandle < 0 ? nil : handles.firstIndex(of: lastHandle)
            let anywhere = trees[jobIndex]!.best
            let elsewhere = last.map { trees[jobIndex]!.best(excluding: $0, free: free, ids: ids) ?? anywhere } ?? anywhere
            let planned = next < plan.count && plan[next].chunkID == chunkID ? plan[next].nodeID : nil
            guard let planned else {
                if let i = anywhere {
                    return "chunk \(chunkID) left out of the plan while eligible node \(ids[i]) had \(free[i]) free slot(s)"
                }
                continue
            }
            next += 1
            guard let chosen = Self.position(of: planned, in: ids, ascending: ascending) else {
                return "chunk \(chunkID) planned for node \(planned), not online in the snapshot"
            }
            guard chosen == anywhere || chosen == elsewhere else {
                let want = (elsewhere ?? anywhere).map { "\(ids[$0]) (\(free[$0]) free)" } ?? "no node"
                return "chunk \(chunkID) planned for node \(planned) (\(free[chosen]) free); the rule gives \(want)"
            }
            free[chosen] -= 1
            for j in built { trees[j]!.update(chosen, free: free, ids: ids) }
        }
        return next == plan.count ? nil : "the plan names chunks out of the snapshot's order"
    }

    /// The first position of `id` in `ids` (by binary search when they ascend), nil if absent.
    static func position(of id: NodeID, in ids: [NodeID], ascending: Bool) -> Int? {
        guard ascending else { return ids.firstIndex(of: id) }
        var lo = 0, hi = ids.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if ids[mid] < id { lo = mid + 1 } else { hi = mid }
        }
        return lo < ids.count && ids[lo] == id ? lo : nil
    }

    /// Eligibility from ground truth (guild membership as the scenario set it, not the
    /// sentinel's filters).
    func trulyEligible(_ job: AssignmentSnapshot.Job, _ node: SnapshotMemory.NodeFacts) -> Bool {
        if let owner = node.userID, owner == job.userID { return true }
        switch job.accessType {
        case .private: return false
        case .public: return true
        case .user: return node.permittedUsers.contains(job.userID)
        case .discord:
            guard let guild = job.discordServerID, let text = node.ownerDiscordID, let id = UInt64(text),
                let members = guildMembers[guild]
            else { return false }
            return members.contains(id)
        }
    }

    // MARK: Measure-based expectations

    /// At the end of the run: each expectation the scenario set.
    mutating func checkExpectations() {
        if let bound = expect.assignmentDelayP99Seconds {
            if promptDelaysMs.isEmpty {
                violate(.promptAssignment, "no chunk was assigned from \(expect.assignmentDelayFrom): nothing to measure")
            } else {
                let sorted = promptDelaysMs.sorted()
                let rank = (sorted.count * 99 + 99) / 100
                let p99 = Double(sorted[max(0, rank - 1)]) / 1000
                if p99 > bound {
                    violate(.promptAssignment, "assignment delay p99 \(p99)s over \(sorted.count) chunks, bound \(bound)s")
                }
            }
        }
        if expect.noDuplicateWork {
            let m = measures
            if m.duplicateExecutions > 0 || m.wastedComputations > 0 || honestCompletionsRefused > 0 {
                violate(.noDuplicateWork, "\(m.duplicateExecutions) duplicate execution(s), \(m.wastedComputations) wasted computation(s), \(honestCompletionsRefused) honest completion(s) refused")
            }
        }
        if expect.noSkippedAssignments, measures.guardedSkips > 0 {
            violate(.noSkippedAssignment, "the guarded apply skipped \(measures.guardedSkips) planned assignment(s)")
        }
        if let bound = expect.maxFilterFalsePositiveRate {
            let m = measures
            if m.guildFilterProbes == 0 {
                violate(.filterFalsePositives, "no guild filter was probed")
            } else if m.guildFilterFalsePositiveRate > bound {
                violate(.filterFalsePositives, "guild filters admitted \(m.guildFilterFalsePositives) of \(m.guildFilterProbes) non-members (\(m.guildFilterFalsePositiveRate)), bound \(bound)")
            }
        }
        if let bound = expect.maxReapDelaySeconds, measures.reapDelayMaxSeconds > bound {
            violate(.reapedInTime, "a claim was reaped \(measures.reapDelayMaxSeconds)s after the claim timeout, bound \(bound)s")
        }
    }
}
