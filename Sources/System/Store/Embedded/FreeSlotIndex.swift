/// The seen nodes with a free slot, found in the order the sentinel's snapshot picks them:
/// most free slots first, then the lowest id. The snapshot's listed nodes are the first
/// `wanted` of these that are online (`AssignmentSnapshot.nodesWanted`: the planner can use no
/// other), so a wake reads about as many entries as it lists instead of every node.
///
/// A node is here iff it is live, has been seen (`last_seen_at` not NULL: a node never seen is
/// never online) and `capacity > running`; it moves on every claim, completion, reap, release
/// and deletion, so a move must be cheap (a sorted order kept in blocks cost about 600
/// instructions a move). Entries are grouped by free slots, and within a group by the top bits
/// of the node id into `ranges` unsorted buckets (node ids are uniformly random UUIDs, so the
/// buckets fill evenly; their number doubles as the index grows, keeping them about
/// `perRange` long). A move is a swap-removal and an append, O(1); the best `wanted` are whole
/// buckets taken in (free slots, id range) order, and only the last bucket reached is sorted
/// by id to cut it: O(wanted + one bucket + the empty buckets passed). Entries are node
/// handles, 4 bytes each; ids are read from the store's dense fields (`id` closures) only to
/// sort the bucket being cut and to regroup.
struct FreeSlotIndex: Sendable {
    /// Buckets of group `free` (1-based) start at `(free - 1) * ranges`.
    private var buckets: [[Int32]] = []
    /// Entries per free-slot count (index `free`; 0 unused).
    private var countByFree: [Int] = [0]
    /// Per node handle, its position in its bucket (-1: not here).
    private var slot: [Int32] = []
    private var rangeBits = 4
    private(set) var count = 0

    static let perRange = 32

    init() {}

    private var ranges: Int { 1 << rangeBits }

    @inline(__always) private func bucket(_ free: Int, _ id: NodeID) -> Int {
        (free - 1) << rangeBits | Int(truncatingIfNeeded: id.raw.high >> UInt64(64 - rangeBits))
    }

    func contains(_ handle: Int) -> Bool { handle < slot.count && slot[handle] >= 0 }

    mutating func insert(handle: Int, free: Int, id: NodeID) {
        precondition(free > 0, "only nodes with a free slot are indexed")
        while slot.count <= handle { slot.append(-1) }
        precondition(slot[handle] < 0, "a node is indexed once")
        if free >= countByFree.count {
            countByFree.append(contentsOf: repeatElement(0, count: free + 1 - countByFree.count))
            buckets.append(contentsOf: repeatElement([], count: (countByFree.count - 1) * ranges - buckets.count))
        }
        let b = bucket(free, id)
        slot[handle] = Int32(buckets[b].count)
        buckets[b].append(Int32(truncatingIfNeeded: handle))
        countByFree[free] += 1
        count += 1
    }

    /// Whether the buckets have grown past `perRange` on average: the owner then calls
    /// `regroup(id:)` (it alone can read every node's id).
    var needsRegroup: Bool { count > Self.perRange * ranges }

    /// Removes a node that is here with `free` slots (traps otherwise: the store's bookkeeping
    /// is broken).
    mutating func remove(handle: Int, free: Int, id: NodeID) {
        let b = bucket(free, id)
        let at = Int(slot[handle])
        precondition(at >= 0 && at < buckets[b].count && buckets[b][at] == Int32(handle), "free-slot index lost a node")
        let last = buckets[b].removeLast()
        if at < buckets[b].count {
            buckets[b][at] = last
            slot[Int(last)] = Int32(at)
        }
        slot[handle] = -1
        countByFree[free] -= 1
        count -= 1
    }

    /// The first `wanted` entries by (most free slots, lowest id) among those `include`
    /// admits, in no particular order. Whole buckets are taken while they fit; the bucket that
    /// overflows is sorted by id and cut.
    func best(_ wanted: Int, id: (Int) -> NodeID, where include: (Int) -> Bool) -> [Int32] {
        var chosen: [Int32] = []
        guard wanted > 0 else { return chosen }
        chosen.reserveCapacity(Swift.min(wanted, count))
        var free = countByFree.count - 1
        while free >= 1 {
            var left = countByFree[free]
            var b = (free - 1) << rangeBits
            while left > 0 {
                let bucket = buckets[b]
                b += 1
                guard !bucket.isEmpty else { continue }
                left -= bucket.count
                let start = chosen.count
                for handle in bucket where include(Int(handle)) { chosen.append(handle) }
                if chosen.count >= wanted {
                    if chosen.count > wanted {
                        var cut = chosen[start...].map { (id: id(Int($0)), handle: $0) }
                        cut.sort { $0.id < $1.id }
                        chosen.removeLast(chosen.count - start)
                        chosen.append(contentsOf: cut.prefix(wanted - start).lazy.map(\.handle))
                    }
                    return chosen
                }
            }
            free -= 1
        }
        return chosen
    }

    /// Per handle below `count`, its free slots in the index (0: not here): the consistency
    /// check's view, one pass over the buckets.
    func freeByHandle(count: Int) -> [Int32] {
        var free = [Int32](repeating: 0, count: count)
        for group in countByFree.indices.dropFirst() {
            for b in ((group - 1) << rangeBits)..<(group << rangeBits) {
                for handle in buckets[b] where Int(handle) < count { free[Int(handle)] = Int32(group) }
            }
        }
        return free
    }

    /// Every entry with its free slots (for tests), by handle.
    var entries: [(handle: Int, free: Int)] {
        var all: [(handle: Int, free: Int)] = []
        for free in countByFree.indices.dropFirst() {
            for b in ((free - 1) << rangeBits)..<(free << rangeBits) {
                for handle in buckets[b] { all.append((Int(handle), free)) }
            }
        }
        return all.sorted { $0.handle < $1.handle }
    }

    /// Whether every entry sits in its bucket at its recorded slot, and the counts add up.
    func isConsistent(id: (Int) -> NodeID) -> Bool {
        guard buckets.count == (countByFree.count - 1) * ranges else { return false }
        var total = 0
        for free in countByFree.indices.dropFirst() {
            var here = 0
            for b in ((free - 1) << rangeBits)..<(free << rangeBits) {
                for (at, handle) in buckets[b].enumerated() {
                    guard bucket(free, id(Int(handle))) == b, Int(slot[Int(handle)]) == at else { return false }
                    here += 1
                }
            }
            guard here == countByFree[free] else { return false }
            total += here
        }
        return total == count && slot.filter { $0 >= 0 }.count == count
    }

    /// Re-sorts every entry into twice as many ranges per group (the index grew; amortised O(1)
    /// an insertion).
    mutating func regroup(id: (Int) -> NodeID) {
        let old = buckets
        let oldRanges = ranges
        rangeBits += 1
        buckets = Array(repeating: [], count: (countByFree.count - 1) * ranges)
        for (b, bucket) in old.enumerated() {
            let free = b / oldRanges + 1
            for handle in bucket {
                let nb = self.bucket(free, id(Int(handle)))
                slot[Int(handle)] = Int32(buckets[nb].count)
                buckets[nb].append(handle)
            }
        }
    }
}
