import Engine
import JobSystem

/// The checks behind `heartbeating-nodes-online`, `most-free-slots` and the measure-based
/// expectations (`Expectations`).
extension Observer {
    // MARK: Heartbeats and offline marking

    /// Remembers what honest clients were answered: accepted heartbeats (by the key that signed
    /// them) and refused completions.
    mutating func noteHonest(_ request: APIRequest, _ response: APIResponse) {
        switch request.path {
        case "/node-heartbeat" where response.status == 200:
            if let key = Self.nodeKey(request) { lastHeartbeatAt[heartbeatSlot(key)] = now }
        case "/chunk-complete" where response.status == 409:
            honestCompletionsRefused += 1
        default:
            break
        }
    }

    /// The `X-Node-Key` header, whatever its spelling (today's unsigned nodes send none).
    static func nodeKey(_ request: APIRequest) -> String? {
        if let key = request.headers[RequestSigning.keyHeader] { return key }
        for (name, value) in request.headers where name.lowercased() == RequestSigning.keyHeader.lowercased() { return value }
        return nil
    }

    /// The slot of a key spelling in `lastHeartbeatAt`, made on first use.
    mutating func heartbeatSlot(_ key: String) -> Int {
        if let slot = heartbeatSlots[key] { return slot }
        heartbeatSlots[key] = lastHeartbeatAt.count
        lastHeartbeatAt.append(nil)
        return lastHeartbeatAt.count - 1
    }

    /// When the node's key (spelled as `PublicKey.base64`) last had a heartbeat accepted; nil if
    /// never, or if the node has no row.
    mutating func lastHeartbeat(of id: NodeID, store: borrowing EmbeddedStore) -> SimInstant? {
        if let slot = nodeHeartbeatSlot[id] { return lastHeartbeatAt[slot] }
        guard let row = store.node(id) else { return nil }
        let slot = heartbeatSlot(row.publicKey.base64)
        nodeHeartbeatSlot[id] = slot
        return lastHeartbeatAt[slot]
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
        // The snapshot's nodes are the online ones: none silent for longer than the scheduler's
        // window (by the heartbeats the store accepted; a second of slack for the boundary).
        let window = profile.sentinelOnlineWindow.seconds
        for node in snapshot.nodes {
            // By the node's slot (the key was base64-encoded and hashed for every node of every
            // snapshot: a tenth of a fleet run).
            guard let beat = lastHeartbeat(of: node.id, store: store) else { continue }
            let age = (now - beat).seconds
            if age > window + 1 {
                let name = store.node(node.id)?.name ?? "\(node.id)"
                violate(.heartbeatingNodesOnline, "the snapshot offers \(name), whose last heartbeat was \(age)s ago; online window \(window)s")
            }
        }
        guard !snapshot.chunks.isEmpty else { return }
        // Enough to reach back a minute of passes: an apply the network held back (and the
        // sentinel abandoned) still reaches the store, long after its snapshot.
        if recentSnapshots.count >= 32 { recentSnapshots.removeFirst() }
        recentSnapshots.append(snapshot)
    }

    /// A plan must follow the rule from one of the recent snapshots it could come from (its
    /// chunks in the snapshot's order), newest first: with two sentinels their snapshots
    /// interleave, a duplicated call makes two, a delayed apply arrives after later ones, and
    /// the observer does not ask the world whose plan it is.
    mutating func checkMostFreeSlots(_ plan: [PlannedAssignment]) {
        guard !plan.isEmpty else { return }
        var firstProblem: String? = nil
        var candidates = 0
        for snapshot in recentSnapshots.reversed() where Self.isSubsequence(plan.map(\.chunkID), of: snapshot.chunks.map(\.id)) {
            candidates += 1
            guard let problem = planProblem(plan, from: snapshot) else { return }
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

    /// What is wrong with `plan` as a plan of `snapshot`, or nil. The rule, restated here from
    /// the specification: chunks in the snapshot's order; each to the eligible node with the
    /// most free slots (capacity − running − rows of this plan before it), ties to the lowest
    /// node id; a chunk whose last claim was reaped may go to the best node other than its last
    /// one (and must, while that one has room: but either choice is accepted here, a sentinel
    /// of today's version having no such rule); a chunk is left out only if no eligible node
    /// has a free slot.
    public func planProblem(_ plan: [PlannedAssignment], from snapshot: AssignmentSnapshot) -> String? {
        let nodes = snapshot.nodes
        // Plain arrays beside the nodes: the scans below read only these (copying a node struct,
        // with its strings and arrays, per visit was a fifth of a fleet run).
        let ids = nodes.map(\.id)
        var free = nodes.map { max(0, $0.capacity - $0.running) }
        // Eligibility is a pure function of (job, node): computed once per job of the snapshot
        // that a checked chunk names, not once per chunk and node.
        var eligibleByJob: [[Bool]?] = Array(repeating: nil, count: snapshot.jobs.count)
        var next = 0
        // A budget of node visits per plan: a 10,000-node fleet's plans are checked on their
        // first chunks only (the rule is the same for the rest; the run stays fast).
        var budget = 200_000
        for chunk in snapshot.chunks {
            budget -= 2 * nodes.count
            if budget < 0 { return nil }
            guard let jobIndex = snapshot.jobs.firstIndex(where: { $0.id == chunk.jobID }) else { continue }
            if eligibleByJob[jobIndex] == nil {
                let job = snapshot.jobs[jobIndex]
                eligibleByJob[jobIndex] = nodes.map { trulyEligible(job, $0) }
            }
            let eligible = eligibleByJob[jobIndex]!
            let last = chunk.lastNodeID.flatMap { id in ids.firstIndex(of: id) }
            func best(excluding: Int?) -> Int? {
                free.withUnsafeBufferPointer { free in
                    eligible.withUnsafeBufferPointer { eligible in
                        ids.withUnsafeBufferPointer { ids in
                            Self.bestNode(free: free, eligible: eligible, ids: ids, excluding: excluding)
                        }
                    }
                }
            }
            let anywhere = best(excluding: nil)
            let elsewhere = last == nil ? anywhere : (best(excluding: last) ?? anywhere)
            let planned = next < plan.count && plan[next].chunkID == chunk.id ? plan[next].nodeID : nil
            guard let planned else {
                if let i = anywhere {
                    return "chunk \(chunk.id) left out of the plan while eligible node \(ids[i]) had \(free[i]) free slot(s)"
                }
                continue
            }
            next += 1
            guard let chosen = ids.firstIndex(of: planned) else {
                return "chunk \(chunk.id) planned for node \(planned), not online in the snapshot"
            }
            guard chosen == anywhere || chosen == elsewhere else {
                let want = (elsewhere ?? anywhere).map { "\(ids[$0]) (\(free[$0]) free)" } ?? "no node"
                return "chunk \(chunk.id) planned for node \(planned) (\(free[chosen]) free); the rule gives \(want)"
            }
            free[chosen] -= 1
        }
        return next == plan.count ? nil : "the plan names chunks out of the snapshot's order"
    }

    /// The eligible node with a free slot and the most of them, ties to the lowest id, other than
    /// `excluding`; nil if none.
    static func bestNode(
        free: UnsafeBufferPointer<Int>, eligible: UnsafeBufferPointer<Bool>, ids: UnsafeBufferPointer<NodeID>, excluding: Int?
    ) -> Int? {
        let skip = excluding ?? -1
        var b = -1
        for i in 0..<free.count where i != skip && free[i] > 0 && eligible[i] {
            if b >= 0, free[i] < free[b] || (free[i] == free[b] && ids[i] > ids[b]) { continue }
            b = i
        }
        return b >= 0 ? b : nil
    }

    /// Eligibility from ground truth (guild membership as the scenario set it, not the
    /// sentinel's filters).
    func trulyEligible(_ job: AssignmentSnapshot.Job, _ node: AssignmentSnapshot.Node) -> Bool {
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
