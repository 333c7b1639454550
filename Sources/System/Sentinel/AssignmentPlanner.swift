import Collections

/// Plans one scheduling pass: each pending chunk, oldest first, to the eligible node with the
/// most free slots (capacity minus running chunks), ties to the lowest node id, except that a
/// chunk whose previous claim was reaped avoids that node while any other eligible node has a
/// free slot (found by the node-hang scenario: a hung node, emptied by the reaper, has the most
/// free slots and took the same chunk back every five minutes, forever; `avoidReapedNode`, off
/// for today's planner, which has no such rule). Pure: the same
/// snapshot gives the same plan. The store has the last word (a guarded apply skips rows that
/// changed since the snapshot), so a plan may be stale without harm.
///
/// Cost: nodes are kept in buckets by free slots, each bucket a min-heap of node positions
/// (positions follow id order). A `public` chunk, the common case, takes the head of the
/// highest non-empty bucket: O(log n). A restricted chunk scans the nodes once: O(n). Heap
/// entries are invalidated lazily: a position is current in bucket f only while its free
/// count is f.
public enum AssignmentPlanner {
    public static func plan(
        _ snapshot: AssignmentSnapshot, guilds: GuildDirectory, avoidReapedNode: Bool = true
    ) -> [PlannedAssignment] {
        let nodes = snapshot.nodes
        guard !nodes.isEmpty, !snapshot.chunks.isEmpty else { return [] }
        var free = nodes.map { max(0, $0.capacity - $0.running) }
        let maxFree = free.max() ?? 0
        guard maxFree > 0 else { return [] }
        var buckets = [Heap<Int>](repeating: Heap(), count: maxFree + 1)
        for (i, f) in free.enumerated() where f > 0 { buckets[f].insert(i) }
        var top = maxFree

        var jobsByID: [JobID: AssignmentSnapshot.Job] = [:]
        jobsByID.reserveCapacity(snapshot.jobs.count)
        for j in snapshot.jobs { jobsByID[j.id] = j }

        var plan: [PlannedAssignment] = []
        plan.reserveCapacity(snapshot.chunks.count)
        for chunk in snapshot.chunks {
            guard let job = jobsByID[chunk.jobID] else { continue }
            let avoid = avoidReapedNode ? chunk.lastNodeID.flatMap { position(of: $0, in: nodes) } : nil
            let chosen: Int?
            if job.accessType == .public {
                chosen = popMostFree(&buckets, &top, free, avoiding: avoid)
            } else {
                chosen = scanMostFree(job, nodes, free, guilds, avoiding: avoid)
            }
            guard let i = chosen else { continue }
            free[i] -= 1
            if free[i] > 0 { buckets[free[i]].insert(i) }
            plan.append(PlannedAssignment(chunkID: chunk.id, nodeID: nodes[i].id))
        }
        return plan
    }

    /// Binary search: the snapshot's nodes are sorted by id.
    static func position(of id: NodeID, in nodes: [AssignmentSnapshot.Node]) -> Int? {
        var lo = 0, hi = nodes.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if nodes[mid].id < id { lo = mid + 1 } else { hi = mid }
        }
        return lo < nodes.count && nodes[lo].id == id ? lo : nil
    }

    /// The lowest position in the highest non-empty bucket, skipping stale entries; the
    /// `avoiding` node only if no other node has a free slot.
    static func popMostFree(_ buckets: inout [Heap<Int>], _ top: inout Int, _ free: [Int], avoiding: Int?) -> Int? {
        guard let first = popMostFree(&buckets, &top, free) else { return nil }
        guard first == avoiding else { return first }
        let second = popMostFree(&buckets, &top, free)
        // Put the avoided node back where it was (its free count did not change).
        buckets[free[first]].insert(first)
        top = max(top, free[first])
        return second ?? first
    }

    static func popMostFree(_ buckets: inout [Heap<Int>], _ top: inout Int, _ free: [Int]) -> Int? {
        while top > 0 {
            while let i = buckets[top].popMin() {
                if free[i] == top { return i }
            }
            top -= 1
        }
        return nil
    }

    static func scanMostFree(
        _ job: AssignmentSnapshot.Job, _ nodes: [AssignmentSnapshot.Node], _ free: [Int], _ guilds: GuildDirectory,
        avoiding: Int?
    ) -> Int? {
        var best: Int? = nil
        var bestFree = 0
        for i in nodes.indices where free[i] > bestFree && i != avoiding {
            if Eligibility.isEligible(job, nodes[i], guilds: guilds) {
                best = i
                bestFree = free[i]
            }
        }
        if best == nil, let a = avoiding, free[a] > 0, Eligibility.isEligible(job, nodes[a], guilds: guilds) {
            return a
        }
        return best
    }
}
