@testable import JobSystem

/// The reference `SnapshotIndexTests` compares the store's indexed snapshot with: the snapshot
/// as the embedded store computed it before its indexes (`SightingOrder`, `FreeSlotIndex`), one
/// walk over every live node. Kept with the tests, not in the store: nothing else runs it.
extension EmbeddedStore {
    /// The snapshot as it was computed before the indexes: one walk over every live node in id
    /// order, counting the online ones and picking the listed ones with `mostFree`. The
    /// reference for the model tests (`SnapshotIndexTests`); O(N) a call.
    func assignmentSnapshotByWalk(limit: Int, onlineWindow: Interval) -> AssignmentSnapshot {
        let onlineSince = now - onlineWindow
        let (picked, snapshotJobs, more) = pendingForSnapshot(limit: limit)

        // Every online node is counted; only those the planner can use are copied
        // (`AssignmentSnapshot.nodes`). From the dense fields, not the rows: copying whole rows
        // (five reference-counted fields each), then reading fields of scattered rows, dominated
        // the pass for a 10,000-node fleet. One walk over every node, fields read in place (no
        // copy of an entry, whose Discord id is reference-counted), counts the online nodes and
        // notes those with a free slot; only the listed ones are then copied.
        let since = onlineSince.micros
        let order = nodeOrder
        var onlineCount = 0
        var stalest = -1
        var freeHandles: [Int32] = []
        var freeCounts: [Int] = []
        do {
            // Field reads through the paged table's inlined getter copy no row.
            let dense = nodeDense
            for handle in order where dense[handle].seenMicros > since {
                onlineCount += 1
                // In id order: only a strictly older sighting replaces (ties to the lowest id).
                if stalest < 0 || dense[handle].seenMicros < dense[stalest].seenMicros { stalest = handle }
                let free = dense[handle].capacity - dense[handle].running
                if free > 0 {
                    freeHandles.append(Int32(truncatingIfNeeded: handle))
                    freeCounts.append(free)
                }
            }
        }
        let wanted = AssignmentSnapshot.nodesWanted(chunks: picked.count, jobs: snapshotJobs)
        let listed = Self.mostFree(freeCounts, wanted: wanted)
        var online: [AssignmentSnapshot.Node] = []
        online.reserveCapacity(min(wanted, freeHandles.count))
        for k in freeHandles.indices where listed(k) {
            let handle = Int(freeHandles[k])
            let node = nodeDense[handle]
            online.append(AssignmentSnapshot.Node(
                id: node.id, userID: node.userID, ownerDiscordID: node.ownerDiscordID,
                capacity: node.capacity, running: node.running,
                permittedUsers: nodePermittedUsers[handle]))
        }
        return AssignmentSnapshot(
            chunks: picked, nodes: online, jobs: snapshotJobs, morePending: more, onlineNodes: onlineCount,
            stalestOnlineNode: stalest < 0 ? nil : nodeDense[stalest].id)
    }

    /// Which of the nodes with `free` slots (in id order) are the `wanted` best by (most free
    /// slots, lowest id): all of them when they are no more than `wanted`; else those above a
    /// threshold of free slots, and the first ones (lowest ids) at the threshold.
    static func mostFree(_ free: [Int], wanted: Int) -> (Int) -> Bool {
        guard free.count > wanted else { return { _ in true } }
        guard wanted > 0 else { return { _ in false } }
        // The threshold: the `wanted`-th largest free count, from a histogram (free counts are
        // capacities, small), or by sorting when one is not.
        var threshold = 0
        let top = free.max()!
        if top <= 4_096 {
            var counts = [Int](repeating: 0, count: top + 1)
            for f in free { counts[f] += 1 }
            var seen = 0
            threshold = top
            while true {
                seen += counts[threshold]
                if seen >= wanted { break }
                threshold -= 1
            }
        } else {
            threshold = free.sorted(by: >)[wanted - 1]
        }
        var quota = wanted - free.reduce(0) { $0 + ($1 > threshold ? 1 : 0) }
        var take = [Bool](repeating: false, count: free.count)
        for k in free.indices {
            if free[k] > threshold {
                take[k] = true
            } else if free[k] == threshold && quota > 0 {
                take[k] = true
                quota -= 1
            }
        }
        return { take[$0] }
    }
}
