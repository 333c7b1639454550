import JobSystem

/// The node a chunk must go to under the most-free-slots rule, kept current as a plan's rows
/// take slots: a tournament tree over a snapshot's nodes, for one eligibility (one job).
///
/// `planProblem` used to scan every node twice per checked chunk (a tenth of a fleet run's
/// instructions at 1,000 nodes); the tree answers "the best node", "the best node but one" and
/// "this node lost a slot" in O(log n). It answers exactly what the scan answered: the
/// eligible node with a free slot that is greatest by (most free slots, lowest id, highest
/// index), the last key being the scan's choice between equal ids (keep the later one). That
/// order is total, so the winner does not depend on the order the tree combines nodes in.
///
/// The free slots and ids are the caller's (one array each, shared by the trees of every job
/// of the snapshot) and are passed to each call; after changing `free[i]`, call `update(i:)`
/// on every tree.
struct MostFreeTree {
    /// Leaves at `size + i`; an inner node holds the better of its children; -1 is "none".
    private var tree: [Int32]
    private let size: Int
    private let eligible: [Bool]

    init(eligible: [Bool], free: [Int], ids: [NodeID]) {
        precondition(eligible.count == free.count && free.count == ids.count, "one entry per node")
        precondition(eligible.count < Int(Int32.max), "node indices fit in Int32")
        var size = 1
        while size < eligible.count { size <<= 1 }
        self.size = size
        self.eligible = eligible
        var tree = [Int32](repeating: -1, count: 2 * size)
        for i in eligible.indices where eligible[i] && free[i] > 0 { tree[size + i] = Int32(i) }
        var p = size - 1
        while p >= 1 {
            tree[p] = Self.better(tree[2 * p], tree[2 * p + 1], free: free, ids: ids)
            p -= 1
        }
        self.tree = tree
    }

    /// The greater of two candidates (or the one that exists) by (free, lower id, index).
    @inline(__always)
    static func better(_ a: Int32, _ b: Int32, free: [Int], ids: [NodeID]) -> Int32 {
        if a < 0 { return b }
        if b < 0 { return a }
        let fa = free[Int(a)], fb = free[Int(b)]
        if fa != fb { return fa > fb ? a : b }
        let ia = ids[Int(a)], ib = ids[Int(b)]
        if ia != ib { return ia < ib ? a : b }
        return a > b ? a : b
    }

    /// The best eligible node with a free slot, nil if none.
    var best: Int? { tree[1] >= 0 ? Int(tree[1]) : nil }

    /// The best eligible node with a free slot other than `excluded`, nil if none: the better
    /// of the siblings on the way from its leaf to the root.
    func best(excluding excluded: Int, free: [Int], ids: [NodeID]) -> Int? {
        var winner: Int32 = -1
        var p = size + excluded
        while p > 1 {
            winner = Self.better(winner, tree[p ^ 1], free: free, ids: ids)
            p >>= 1
        }
        return winner >= 0 ? Int(winner) : nil
    }

    /// `free[i]` changed: its leaf and the path above it again.
    mutating func update(_ i: Int, free: [Int], ids: [NodeID]) {
        var p = size + i
        tree[p] = eligible[i] && free[i] > 0 ? Int32(i) : -1
        p >>= 1
        while p >= 1 {
            tree[p] = Self.better(tree[2 * p], tree[2 * p + 1], free: free, ids: ids)
            p >>= 1
        }
    }
}
