import JobSystem

/// What the observer keeps of the sentinels' snapshots, for `most-free-slots` and
/// `heartbeating-nodes-online`.
///
/// Not the snapshots themselves: the 32 most recent, each with every online node's whole entry
/// (id, owner, Discord id, capacity, running, permitted users: 80 bytes a node), were 7.7 MB at
/// 3,000 nodes and 25 MB at 10,000. A remembered snapshot keeps, per node, the index of the
/// node's facts and its free slots (12 bytes); the facts (id and the fields eligibility reads)
/// are kept once per node, and again only when a snapshot shows them changed. Nodes have dense
/// handles (`handle(of:)`), found by a search along the nodes sorted by id rather than by
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

    /// Every node that has a handle, by id: the ids ascending and, beside them, the handles.
    /// Why not a `[NodeID: Int32]`: the snapshot's nodes come in id order, so each is found by a
    /// short search forward from the last one found (`lowerBound(_:near:)`), reading lines of
    /// these two arrays that the previous node's search brought in; a dictionary hashed every
    /// node the walk along the previous snapshot missed (at N = 10,000, 0.4 % of the fleet's
    /// samples in `Dictionary.find`, its slots cache misses). Smaller too: 20 bytes a node.
    private(set) var sortedIDs: [NodeID] = []
    private(set) var sortedHandles: [Int32] = []
    /// Each handle's node id.
    private(set) var nodeIDs: [NodeID] = []
    /// Each node's slot in the observer's heartbeat table, -1 until known.
    var heartbeatSlots: [Int32] = []
    /// Each node's latest facts (an index in `facts`), -1 before a remembered snapshot showed it.
    private(set) var currentFacts: [Int32] = []
    private(set) var facts: [NodeFacts] = []
    /// The remembered snapshots with chunks, oldest first.
    private(set) var recent: [Remembered] = []

    /// The node's dense handle, made on first use (a new node is inserted into the sorted
    /// arrays: rare, as nodes are first met in a snapshot's list, which `handles(of:)` adds in
    /// one merge).
    mutating func handle(of id: NodeID) -> Int32 {
        let i = lowerBound(id, near: 0)
        if i < sortedIDs.count, sortedIDs[i] == id { return sortedHandles[i] }
        let h = newHandle(id)
        sortedIDs.insert(id, at: i)
        sortedHandles.insert(h, at: i)
        return h
    }

    /// The next handle, for `id` (not in the sorted arrays: the caller puts it there).
    private mutating func newHandle(_ id: NodeID) -> Int32 {
        let h = Int32(nodeIDs.count)
        nodeIDs.append(id)
        heartbeatSlots.append(-1)
        currentFacts.append(-1)
        return h
    }

    /// The first position in `sortedIDs` whose id is not below `id`, searched from `hint`:
    /// forward by doubling steps when the id at `hint - 1` is below `id` (a snapshot's next
    /// node: a few steps past the last one found), else by halving over the positions before
    /// `hint`. Right for any `hint` in `0...sortedIDs.count`, whatever the order of the calls.
    func lowerBound(_ id: NodeID, near hint: Int) -> Int {
        sortedIDs.withUnsafeBufferPointer { ids in
            let n = ids.count
            // Every position below `lo` holds a smaller id, every one from `hi` on not.
            var lo = 0, hi = n
            if hint > 0, hint <= n, !(ids[hint - 1] < id) {
                hi = hint - 1
            } else if hint <= n {
                lo = hint
                var step = 1
                while lo + step - 1 < n, ids[lo + step - 1] < id {
                    lo += step
                    step &*= 2
                }
                hi = Swift.min(n, lo + step - 1)
            }
            while lo < hi {
                let mid = (lo + hi) / 2
                if ids[mid] < id { lo = mid + 1 } else { hi = mid }
            }
            return lo
        }
    }

    /// The handles of a snapshot's nodes, in its order. Snapshots list the online nodes with a
    /// free slot by id, so each is searched for from where the last was found. Nodes met for
    /// the first time get handles in the snapshot's order (as a lookup node by node would give
    /// them) and join the sorted arrays in one merge.
    mutating func handles(of nodes: [AssignmentSnapshot.Node]) -> [Int32] {
        var out = [Int32](repeating: -1, count: nodes.count)
        var misses: [Int] = []
        nodes.withUnsafeBufferPointer { nodes in
            var j = 0
            for k in 0..<nodes.count {
                let id = nodes[k].id
                j = lowerBound(id, near: j)
                if j < sortedIDs.count, sortedIDs[j] == id {
                    out[k] = sortedHandles[j]
                    j += 1
                } else {
                    misses.append(k)
                }
            }
        }
        if !misses.isEmpty { addNodes(misses, of: nodes, into: &out) }
        return out
    }

    /// Gives the nodes at `misses` (positions in `nodes`, ascending; ids not in the sorted
    /// arrays) their handles, in the snapshot's order of first appearance (a node listed twice
    /// gets one), writes them to `out`, and merges the new ids into the sorted arrays.
    private mutating func addNodes(_ misses: [Int], of nodes: [AssignmentSnapshot.Node], into out: inout [Int32]) {
        // By id, and by position among equal ids: each run's first entry is its node's first
        // appearance.
        let byID = misses.sorted { nodes[$0].id < nodes[$1].id || (nodes[$0].id == nodes[$1].id && $0 < $1) }
        var firsts: [Int] = []
        for (i, k) in byID.enumerated() where i == 0 || nodes[byID[i - 1]].id != nodes[k].id { firsts.append(k) }
        for k in firsts.sorted() { out[k] = newHandle(nodes[k].id) }
        var first = byID[0]
        for k in byID {
            if nodes[k].id != nodes[first].id { first = k }
            out[k] = out[first]
        }
        // The merge (`firsts` is in id order).
        var ids: [NodeID] = []
        var handles: [Int32] = []
        ids.reserveCapacity(sortedIDs.count + firsts.count)
        handles.reserveCapacity(sortedIDs.count + firsts.count)
        var i = 0
        for k in firsts {
            let id = nodes[k].id
            while i < sortedIDs.count, sortedIDs[i] < id {
                ids.append(sortedIDs[i])
                handles.append(sortedHandles[i])
                i += 1
            }
            ids.append(id)
            handles.append(out[k])
        }
        ids.append(contentsOf: sortedIDs[i...])
        handles.append(contentsOf: sortedHandles[i...])
        sortedIDs = ids
        sortedHandles = handles
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
