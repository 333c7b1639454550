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
/// by id to cut it: O(wanted + one bucket + the empty buckets passed).
struct FreeSlotIndex: Sendable {
    struct Entry: Sendable, Equatable {
        var id: NodeID
        var handle: Int32
    }

    /// Buckets of group `free` (1-based) start at `(free - 1) * ranges`.
    private var buckets: [[Entry]] = []
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
        buckets[b].append(Entry(id: id, handle: Int32(truncatingIfNeeded: handle)))
        countByFree[free] += 1
        count += 1
        if count > Self.perRange * ranges { regroup(rangeBits: rangeBits + 1) }
    }

    /// Removes a node that is here with `free` slots (traps otherwise: the store's bookkeeping
    /// is broken).
    mutating func remove(handle: Int, free: Int, id: NodeID) {
        let b = bucket(free, id)
        let at = Int(slot[handle])
        precondition(at >= 0 && at < buckets[b].count && buckets[b][at].handle == Int32(handle), "free-slot index lost a node")
        let last = buckets[b].removeLast()
        if at < buckets[b].count {
            buckets[b][at] = last
            slot[Int(last.handle)] = Int32(at)
        }
        slot[handle] = -1
        countByFree[free] -= 1
        count -= 1
    }

    /// The first `wanted` entries by (most free slots, lowest id) among those `include`
    /// admits, in no particular order. Whole buckets are taken while they fit; the bucket that
    /// overflows is sorted by id and cut.
    func best(_ wanted: Int, where include: (Int) -> Bool) -> [Entry] {
        var chosen: [Entry] = []
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
                for entry in bucket where include(Int(entry.handle)) { chosen.append(entry) }
                if chosen.count >= wanted {
                    if chosen.count > wanted {
                        chosen[start...].sort { $0.id < $1.id }
                        chosen.removeLast(chosen.count - wanted)
                    }
                    return chosen
                }
            }
            free -= 1
        }
        return chosen
    }

    /// Every entry with its free slots (for the consistency check and tests), by handle.
    var entries: [(handle: Int, free: Int)] {
        var all: [(handle: Int, free: Int)] = []
        for free in countByFree.indices.dropFirst() {
            for b in ((free - 1) << rangeBits)..<(free << rangeBits) {
                for entry in buckets[b] { all.append((Int(entry.handle), free)) }
            }
        }
        return all.sorted { $0.handle < $1.handle }
    }

    /// Whether every entry sits in its bucket at its recorded slot, and the counts add up.
    var isConsistent: Bool {
        guard buckets.count == (countByFree.count - 1) * ranges else { return false }
        var total = 0
        for free in countByFree.indices.dropFirst() {
            var here = 0
            for b in ((free - 1) << rangeBits)..<(free << rangeBits) {
                for (at, entry) in buckets[b].enumerated() {
                    guard bucket(free, entry.id) == b, Int(slot[Int(entry.handle)]) == at else { return false }
                    here += 1
                }
            }
            guard here == countByFree[free] else { return false }
            total += here
        }
        return total == count && slot.filter { $0 >= 0 }.count == count
    }

    /// Re-sorts every entry into `1 << rangeBits` ranges per group (the index grew).
    private mutating func regroup(rangeBits newBits: Int) {
        let old = buckets
        let oldRanges = ranges
        rangeBits = newBits
        buckets = Array(repeating: [], count: (countByFree.count - 1) * ranges)
        for (b, bucket) in old.enumerated() {
            let free = b / oldRanges + 1
            for entry in bucket {
                let nb = self.bucket(free, entry.id)
                slot[Int(entry.handle)] = Int32(buckets[nb].count)
                buckets[nb].append(entry)
            }
        }
    }
}
