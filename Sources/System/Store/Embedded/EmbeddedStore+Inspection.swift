/// Cheap read-only views for the harness's invariant checker, and a full recomputation of the
/// derived state to catch the store itself drifting.
extension EmbeddedStore: StoreInspection {
    /// Every job in creation order.
    public var allJobs: [JobRow] { jobs }

    /// Live nodes by id.
    public var allNodes: [NodeRow] { nodeOrder.map { nodes[$0]! } }

    /// Total chunks ever created.
    public var chunkTotal: Int { chunks.count }

    public func jobCount(_ status: JobStatus) -> Int { jobStatusCounts[status.ordinal] }
    public func chunkCount(_ status: ChunkStatus) -> Int { chunkStatusCounts[status.ordinal] }
    public func nodeCount(_ status: NodeStatus) -> Int { nodeStatusCounts[status.ordinal] }

    /// The number of chunks running on the node now (0 for an unknown node).
    public func runningCount(of node: NodeID) -> Int {
        nodeHandles[node].map { nodeRunning[$0].count } ?? 0
    }

    /// Recomputes every derived field from the rows (a full scan: for tests and the invariant
    /// checker, not for every event) and describes each mismatch; empty when consistent.
    /// Checks: per-node running lists equal the chunks running there; running chunks have a
    /// node and a claim, pending ones neither; counts by status; each job's unfinished count,
    /// status and (when every completion counted progress) `completed_iterations`; every pending
    /// chunk is in the pending queue exactly once, live, and the queue is in `pending_seq` order.
    public func checkConsistency() -> [String] {
        var problems: [String] = []
        for handle in nodes.indices {
            let row = nodes[handle]
            let expected = DenseNode(
                seenMicros: row?.lastSeenAt?.micros ?? .min, id: row?.id ?? nodeDense[handle].id, userID: row?.userID,
                ownerDiscordID: row?.userID.flatMap { users[$0]?.discordID }, capacity: row?.capacity ?? nodeDense[handle].capacity,
                running: nodeRunning[handle].count)
            if row != nil && nodeDense[handle] != expected || row == nil && nodeDense[handle].seenMicros != .min {
                problems.append("node handle \(handle): snapshot fields \(nodeDense[handle]) differ from the row")
            }
        }
        var running = Array(repeating: [Int](), count: nodes.count)
        var chunkCounts = [0, 0, 0]
        for (handle, row) in chunks.enumerated() {
            chunkCounts[row.status.ordinal] += 1
            switch row.status {
            case .running:
                if let nodeID = row.nodeID, let node = nodeHandles[nodeID] {
                    running[node].append(handle)
                } else {
                    problems.append("chunk \(row.id) is running without a live node")
                }
                if row.claimedAt == nil { problems.append("chunk \(row.id) is running without claimed_at") }
            case .pending:
                if row.nodeID != nil { problems.append("chunk \(row.id) is pending with node_id set") }
                if row.claimedAt != nil { problems.append("chunk \(row.id) is pending with claimed_at set") }
            case .completed:
                if row.result == nil { problems.append("chunk \(row.id) is completed without a result") }
            }
        }
        if chunkCounts != chunkStatusCounts {
            problems.append("chunk counts by status \(chunkStatusCounts) but rows say \(chunkCounts)")
        }
        for handle in nodes.indices {
            let kept = nodeRunning[handle].sorted()
            if kept != running[handle] {
                let name = nodes[handle].map { "\($0.id)" } ?? "deleted node #\(handle)"
                problems.append("node \(name) has running count \(kept.count), rows say \(running[handle].count)")
            }
        }

        var nodeCounts = [0, 0, 0]
        for row in nodes.compactMap({ $0 }) { nodeCounts[row.status.ordinal] += 1 }
        if nodeCounts != nodeStatusCounts {
            problems.append("node counts by status \(nodeStatusCounts) but rows say \(nodeCounts)")
        }

        var jobCounts = [0, 0, 0]
        for (handle, row) in jobs.enumerated() {
            jobCounts[row.status.ordinal] += 1
            let own = jobChunks[handle].map { chunks[$0] }
            let done = own.filter { $0.status == .completed }
            if jobUnfinished[handle] != own.count - done.count {
                problems.append("job \(row.id) counts \(jobUnfinished[handle]) unfinished chunks, rows say \(own.count - done.count)")
            }
            let expected: JobStatus = done.count == own.count ? .completed : (done.isEmpty ? .pending : .running)
            if row.status != expected {
                problems.append("job \(row.id) is \(row.status.rawValue) with \(done.count)/\(own.count) chunks completed")
            }
            if jobUncountedCompletions[handle] == 0 {
                let sum = done.reduce(0) { $0 + $1.iterations }
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

        var queued = Array(repeating: 0, count: chunks.count)
        var lastSeq: Int64 = 0
        for entry in pendingQueue[pendingHead...] {
            if entry.seq <= lastSeq { problems.append("pending queue out of pending_seq order at \(entry.seq)") }
            lastSeq = entry.seq
            if isLive(entry) { queued[entry.chunk] += 1 }
        }
        for (handle, row) in chunks.enumerated() where row.status == .pending && queued[handle] != 1 {
            problems.append("pending chunk \(row.id) is in the pending queue \(queued[handle]) times")
        }
        return problems
    }
}
