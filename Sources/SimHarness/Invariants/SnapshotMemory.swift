import JobSystem

/// What the observer keeps of the sentinels' snapshots, for `most-free-slots` and
/// `heartbeating-nodes-online`.
///
/// Not the snapshots themselves: the 32 most recent, each with every online node's whole entry
/// (id, owner, Discord id, capacity, running, permitted users: 80 bytes a node), were 7.7 MB at
/// 3,000 nodes and 25 MB at 10,000. A remembered snapshot keeps, per node, the index of the
/// node's facts and its free slots (12 bytes); the facts (id and the fields eligibility reads)
/// are kept once per node, and again only when a snapshot shows them changed. Nodes have dense
/// handles (`handle(of:)`), found for consecutive snapshots by a merge walk rather than by
/// hashing every id of every snapshot.
struct SnapshotMemory {
    /// A node's id (by handle) and the fields eligibility reads, as a snapshot showed them.
    struct NodeFacts: Equatable {
        var node: Int32
        var userID: UserID?
        var ownerDiscordID: String?
        var permittedUsers: [UserID]

        func matches(_ n: AssignmentSnapshot.Node) -> Bool {
            userID == n.userID && ownerDiscordID == n.ownerDiscordID && permittedUsers == n.permittedUsers
        }
    }

    /// One snapshot as `planProblem` reads it, in the snapshot's orders.
    struct Remembered {
        /// Each node's facts (an index in `facts`).
        var nodeFacts: [Int32]
        /// Each node's free slots, `max(0, capacity - running)`.
        var free: [Int]
        var chunkIDs: [ChunkID]
        /// The index in `jobs` of each chunk's job (the first with its id), or -1.
        var chunkJobs: [Int32]
        /// Each chunk's last node (a handle), or -1.
        var chunkLastNodes: [Int32]
        var jobs: [AssignmentSnapshot.Job]
    }

    /// Enough to reach back a minute of passes: an apply the network held back (and the
    /// sentinel abandoned) still reaches the store, long after its snapshot.
    static let capacity = 32

    private(set) var handleByID: [NodeID: Int32] = [:]
    /// Each handle's node id.
    private(set) var nodeIDs: [NodeID] = []
    /// Each node's slot in the observer's heartbeat table, -1 until known.
    var heartbeatSlots: [Int32] = []
    /// Each node's latest facts (an index in `facts`), -1 before a remembered snapshot showed it.
    private(set) var currentFacts: [Int32] = []
    private(set) var facts: [NodeFacts] = []
    /// The nodes of the last snapshot (handles, in its order, which is by id).
    private(set) var lastNodes: [Int32] = []
    /// The remembered snapshots with chunks, oldest first.
    private(set) var recent: [Remembered] = []

    /// The node's dense handle, made on first use.
    mutating func handle(of id: NodeID) -> Int32 {
        if let h = handleByID[id] { return h }
        let h = Int32(nodeIDs.count)
        handleByID[id] = h
        nodeIDs.append(id)
        heartbeatSlots.append(-1)
        currentFacts.append(-1)
        return h
    }

    /// The handles of a snapshot's nodes, in its order. Snapshots list the online nodes with a
    /// free slot by id, and consecutive ones often the same nodes: a walk along the previous
    /// snapshot's list finds those without hashing; only the others are looked up.
    mutating func handles(of nodes: [AssignmentSnapshot.Node]) -> [Int32] {
        var out = [Int32](repeating: -1, count: nodes.count)
        // The walk reads through buffers (no bounds checks, no element copies); the nodes it
        // does not find are looked up after it, in the snapshot's order.
        nodes.withUnsafeBufferPointer { nodes in
            lastNodes.withUnsafeBufferPointer { last in
                nodeIDs.withUnsafeBufferPointer { ids in
                    out.withUnsafeMutableBufferPointer { out in
                        var j = 0
                        for k in 0..<nodes.count {
                            let id = nodes[k].id
                            while j < last.count, ids[Int(last[j])] < id { j += 1 }
                            if j < last.count, ids[Int(last[j])] == id {
                                out[k] = last[j]
                                j += 1
                            }
                        }
                    }
                }
            }
        }
        for k in out.indices where out[k] < 0 { out[k] = handle(of: nodes[k].id) }
        lastNodes = out
        return out
    }

    /// The snapshot as `planProblem` reads it (`handles` from `handles(of:)`); records facts
    /// that changed.
    mutating func remembered(_ snapshot: AssignmentSnapshot, handles: [Int32]) -> Remembered {
        let nodes = snapshot.nodes
        var nodeFacts: [Int32] = []
        var free: [Int] = []
        nodeFacts.reserveCapacity(nodes.count)
        free.reserveCapacity(nodes.count)
        nodes.withUnsafeBufferPointer { nodes in
            for k in 0..<nodes.count {
                let h = Int(handles[k])
                var f = currentFacts[h]
                if f < 0 || !facts[Int(f)].matches(nodes[k]) {
                    f = Int32(facts.count)
                    facts.append(NodeFacts(
                        node: Int32(h), userID: nodes[k].userID, ownerDiscordID: nodes[k].ownerDiscordID,
                        permittedUsers: nodes[k].permittedUsers))
                    currentFacts[h] = f
                }
                nodeFacts.append(f)
                free.append(max(0, nodes[k].capacity - nodes[k].running))
            }
        }
        let jobs = snapshot.jobs
        var chunkIDs: [ChunkID] = []
        var chunkJobs: [Int32] = []
        var chunkLastNodes: [Int32] = []
        chunkIDs.reserveCapacity(snapshot.chunks.count)
        chunkJobs.reserveCapacity(snapshot.chunks.count)
        chunkLastNodes.reserveCapacity(snapshot.chunks.count)
        for chunk in snapshot.chunks {
            chunkIDs.append(chunk.id)
            chunkJobs.append(jobs.firstIndex { $0.id == chunk.jobID }.map { Int32($0) } ?? -1)
            chunkLastNodes.append(chunk.lastNodeID.map { handle(of: $0) } ?? -1)
        }
        return Remembered(
            nodeFacts: nodeFacts, free: free, chunkIDs: chunkIDs, chunkJobs: chunkJobs, chunkLastNodes: chunkLastNodes,
            jobs: jobs)
    }

    /// Keeps `r` as the newest, dropping the oldest beyond `capacity`.
    mutating func keep(_ r: Remembered) {
        if recent.count >= Self.capacity { recent.removeFirst() }
        recent.append(r)
    }
}
