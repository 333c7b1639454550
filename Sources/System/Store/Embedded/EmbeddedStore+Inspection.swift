import CPrefetch

/// Cheap read-only views for the harness's invariant checker, and a full recomputation of the
/// derived state to catch the store itself drifting.
extension EmbeddedStore: StoreInspection {
    /// Every job in creation order.
    public var allJobs: [JobRow] { jobs }

    /// Live nodes by id.
    public var allNodes: [NodeRow] { nodeOrder.map { nodeRow($0)! } }

    /// Calls `body` with every live node by id, the rows `allNodes` lists in its order, without
    /// building the list: the observer's check after each offline marking walked a fresh array
    /// of 10,000 rows (1.8 MB at the fleet's peak) to look at each row once.
    public func forEachNode(_ body: (NodeRow) throws -> Void) rethrows {
        for handle in nodeOrder { try body(nodeRow(handle)!) }
    }

    /// Total chunks ever created.
    public var chunkTotal: Int { chunkSlots.count }

    /// Inlinable: `World.run` asks it after every store event when a run stops at a job count,
    /// and the call copied the whole store value (856 bytes) onto the stack first.
    @inlinable public func jobCount(_ status: JobStatus) -> Int { jobStatusCounts[status.ordinal] }
    public func chunkCount(_ status: ChunkStatus) -> Int { chunkStatusCounts[status.ordinal] }
    public func nodeCount(_ status: NodeStatus) -> Int { nodeStatusCounts[status.ordinal] }

    /// The number of chunks running on the node now (0 for an unknown node).
    public func runningCount(of node: NodeID) -> Int {
        nodeHandle(node).map { nodeRunning[$0].count } ?? 0
    }

    /// Recomputes every derived field from the rows (a full scan: for tests and the invariant
    /// checker, not for every event) and describes each mismatch; empty when consistent.
    /// Checks: per-node running lists equal the chunks running there; running chunks have a
    /// node and a claim, pending ones neither; counts by status; each job's unfinished count,
    /// status and (when every completion counted progress) `completed_iterations`; every pending
    /// chunk is in the pending queue exactly once, live, and the queue is in `pending_seq` order.
    ///
    /// The problems are listed in this order: each node's row against its dense entry, the
    /// snapshot indexes, each chunk, the chunk counts, each node's running list, the node
    /// counts, each job, the job counts, the pending queue. The work runs in another order, so
    /// that each node's cache lines are loaded once a check, not three times, and the chunk
    /// table is passed over once: the pending queue first (each pending chunk's count in it),
    /// then the chunk pass (the running count per node it needs), then one pass over the nodes
    /// for their rows, running lists and counts (before: a pass for the rows, one for the lists
    /// and one for the counts, each loading every node's row or list afresh: about half the
    /// check's samples at N = 10,000). Whether a running chunk's node is live and indexed is looked up
    /// once per node, not once per running chunk. `StoreConsistencyTests` compares the list,
    /// order included, with the three-pass check over seeded corruptions.
    public func checkConsistency() -> [String] {
        // The pending queue first, so that the chunk pass checks each pending chunk's count
        // in it (a second pass over the whole chunk table did). Two bytes a chunk
        // (saturating), not eight: this array is as long as the chunk table.
        var orderProblems: [String] = []
        var queued = [UInt16](repeating: 0, count: chunkSlots.count)
        var lastSeq: Int64 = 0
        for entry in pendingQueue[pendingHead...] {
            if entry.seq <= lastSeq { orderProblems.append("pending queue out of pending_seq order at \(entry.seq)") }
            lastSeq = entry.seq
            if isLive(entry), queued[entry.chunk] < .max { queued[entry.chunk] += 1 }
        }
        var queueProblems: [String] = []

        // The chunk pass. One pass over the slots: no row is rebuilt, nothing is allocated per
        // chunk or per node (a list per node was 10,000 allocations a check at N = 10,000).
        var chunkProblems: [String] = []
        var runningOn = [Int32](repeating: 0, count: nodes.count)
        // Per node: 0 not looked at yet, 1 live and indexed under its own id, 2 not.
        var liveIndexed = [UInt8](repeating: 0, count: nodes.count)
        var chunkCounts = [0, 0, 0]
        var jobDone = Array(repeating: 0, count: jobs.count)
        var jobDoneIterations = Array(repeating: 0, count: jobs.count)
        for (handle, slot) in chunkSlots.enumerated() {
            chunkCounts[slot.status.ordinal] += 1
            switch slot.status {
            case .running:
                let node = Int(slot.node)
                var live = false
                if node >= 0 {
                    if liveIndexed[node] == 0 {
                        liveIndexed[node] = nodes[node] != nil && nodeHandle(nodeDense[node].id) == node ? 1 : 2
                    }
                    live = liveIndexed[node] == 1
                }
                if live {
                    runningOn[node] += 1
                } else {
                    chunkProblems.append("chunk \(chunkID(handle)) is running without a live node")
                }
                if slot.claimedAt == nil { chunkProblems.append("chunk \(chunkID(handle)) is running without claimed_at") }
            case .pending:
                if slot.node >= 0 { chunkProblems.append("chunk \(chunkID(handle)) is pending with node_id set") }
                if slot.claimedAt != nil { chunkProblems.append("chunk \(chunkID(handle)) is pending with claimed_at set") }
                if queued[handle] != 1 {
                    queueProblems.append("pending chunk \(chunkID(handle)) is in the pending queue \(queued[handle]) times")
                }
            case .completed:
                if chunkResults.isNull(handle) { chunkProblems.append("chunk \(chunkID(handle)) is completed without a result") }
                jobDone[Int(slot.job)] += 1
                jobDoneIterations[Int(slot.job)] += chunkIterations(handle)
            }
        }

        // The node pass: the row against the dense entry, the running list against the chunk
        // pass, the count by status.
        var problems: [String] = []
        var listProblems: [String] = []
        var nodeCounts = [0, 0, 0]
        // Field by field, reading the dense entry in place (building an expected `DenseNode`
        // and comparing whole entries copied both, strings retained and released), and the
        // owner's Discord id looked up once per run of nodes with the same owner.
        var owner: (user: UserID, discordID: String?)? = nil
        for handle in nodes.indices {
            // The list a few nodes on, asked for now (its first touch was a miss a node).
            prefetchRunningList(handle &+ Self.checkLookahead)
            let kept = nodeRunning[handle]
            if let row = nodes[handle] {
                nodeCounts[row.status.ordinal] += 1
                // `last_seen_at` is the dense entry's alone (`seenMicros`, checked with the
                // sighting order by `snapshotIndexProblems`); the stored row keeps it NULL.
                if row.lastSeenAt != nil { problems.append("node \(row.id): the stored row keeps last_seen_at") }
                var discordID: String? = nil
                if let user = row.userID {
                    if owner?.user != user { owner = (user, users[user]?.discordID) }
                    discordID = owner!.discordID
                }
                let same = nodeDense[handle].id == row.id && nodeDense[handle].userID == row.userID
                    && nodeDense[handle].status == row.status && nodeDense[handle].maxParallel == row.maxParallel
                    && nodeDense[handle].name == row.name && nodeDense[handle].ownerDiscordID == discordID
                    && nodeDense[handle].capacity == row.capacity && nodeDense[handle].running == kept.count
                if !same {
                    problems.append("node handle \(handle): snapshot fields \(nodeDense[handle]) differ from the row")
                }
            } else if nodeDense[handle].seenMicros != .min || nodeDense[handle].status != nil {
                // Deleted: never seen, no status (its id stays, for the chunks that name it).
                problems.append("node handle \(handle) is deleted but its snapshot fields \(nodeDense[handle]) are not")
            }
            // The node's list must be exactly the chunks running on it: as many as the rows
            // say, each running there, none twice (so the two sets are equal).
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
                listProblems.append("node \(name) has running count \(kept.count), rows say \(runningOn[handle])")
            }
        }

        problems += snapshotIndexProblems()
        problems += chunkProblems
        if chunkCounts != chunkStatusCounts {
            problems.append("chunk counts by status \(chunkStatusCounts) but rows say \(chunkCounts)")
        }
        problems += listProblems
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

        problems += orderProblems
        problems += queueProblems
        return problems
    }

    /// How many nodes ahead the check's node pass asks for a running list.
    static var checkLookahead: Int { 8 }

    /// A hint that node `handle`'s running list (`nodeRunning`, a heap block of its own per
    /// node) will be read soon: asks for its first line, the one its count lies in. Why: the
    /// check's node pass walks the nodes in order, and the first touch of each list (the copy's
    /// retain, then the count) was a cache miss a node at N = 10,000, taken one after the
    /// other; asked for a few nodes ahead, they overlap. The address is read as a word (a copy
    /// of the list would retain it: a write to the very line). A handle outside the table asks
    /// for nothing; a hint only, it changes nothing but timing.
    @inline(__always)
    func prefetchRunningList(_ handle: Int) {
        guard handle < nodeRunning.count else { return }
        precondition(MemoryLayout<[RunningClaim]>.size == MemoryLayout<UnsafeRawPointer>.size)
        let storage = nodeRunning.withUnsafeBytes { $0.load(fromByteOffset: handle &* 8, as: UnsafeRawPointer.self) }
        cprefetch_read(storage)
    }
}
