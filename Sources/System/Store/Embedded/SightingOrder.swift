/// The live nodes that have been seen, ordered by `last_seen_at`: how the sentinel's snapshot
/// counts the online nodes (`last_seen_at > since`) and finds the one seen longest ago without
/// walking every node on every wake.
///
/// Entries sit in an array sorted by sighting (non-decreasing), with lazy deletion: a node's
/// newer sighting appends a new entry and leaves the old one stale. A bitmap marks the live
/// entries, so the live entries of any prefix are popcounts, one a word; both questions are a
/// binary search plus that scan of n/64 words (about 240 at 10,000 nodes):
/// - online = live entries after the last one with `seen <= since`;
/// - the stalest online node = the first live entry after it (ties in `seen` go to the lowest
///   node id: the entries of equal sighting that follow are compared).
/// A sighting costs O(1) and touches little: clear one bit, append one entry, set one bit.
/// Heartbeats are most of a fleet's events and the snapshot runs once a pass, so the cost sits
/// in the query: a Fenwick tree (O(log n) both ways) cost about 300 instructions a heartbeat,
/// more than the walk it replaced saved in a heartbeat-heavy day.
///
/// Why not "heartbeats only raise `last_seen_at`": they set it to the store's `now`, and that
/// clock can be stepped back (a clock fault on the store's server, a test setting it), so a
/// sighting can be older than the newest entry. Such a sighting is inserted in order: the array
/// is compacted and the bitmap rebuilt, O(n), where the usual in-order sighting is an append.
/// Stale entries are dropped by the same rebuild once they outnumber half the live ones (and
/// 4,096), which keeps the array within 1.5× the live nodes (plus 4,096) and the rebuilds amortised O(1)
/// per sighting.
struct SightingOrder: Sendable {
    struct Entry: Sendable {
        var seen: Int64
        var handle: Int32
    }

    /// The entries, sorted by `seen`, stale ones included.
    private var entries: [Entry] = []
    /// Bit `j & 63` of word `j >> 6`: entry `j` is live.
    private var liveBits: [UInt64] = []
    /// Live entries: nodes with a sighting.
    private(set) var liveCount = 0
    /// Whether the last `set` rebuilt the array: every live entry moved, and the owner, which
    /// keeps each node's position (`DenseNode.sightingPosition`), reads them again
    /// (`forEachLive`).
    private(set) var moved = false

    init() {}

    /// Entries stored, stale ones included (for bounds tests and memory figures).
    var storedCount: Int { entries.count }

    /// Moves `handle` from its live entry at `old` (-1: none) to a sighting at `micros`
    /// (`Int64.min`: none, for a deleted node), and returns its new position (-1: none). Called
    /// only when the sighting changes (the caller compares with the node's dense field). When
    /// `moved` is then true, every position changed.
    mutating func set(_ handle: Int, from old: Int32, seen micros: Int64) -> Int32 {
        moved = false
        if old >= 0 {
            let o = Int(old)
            liveBits[o &>> 6] &= ~(1 &<< UInt64(o & 63))
            liveCount -= 1
        }
        var position: Int32 = -1
        if micros != .min {
            if let last = entries.last, micros < last.seen {
                rebuild(inserting: Entry(seen: micros, handle: Int32(truncatingIfNeeded: handle)))
                return -1  // (`moved`: the owner reads every position again)
            }
            let j = entries.count
            entries.append(Entry(seen: micros, handle: Int32(truncatingIfNeeded: handle)))
            if j & 63 == 0 { liveBits.append(0) }
            liveBits[j &>> 6] |= 1 &<< UInt64(j & 63)
            liveCount += 1
            position = Int32(truncatingIfNeeded: j)
        }
        if entries.count - liveCount > Swift.max(4_096, liveCount / 2) { rebuild(inserting: nil) }
        return position
    }

    /// Calls `body` with every live entry's handle, position and sighting, in order.
    func forEachLive(_ body: (_ handle: Int, _ position: Int32, _ seen: Int64) -> Void) {
        for j in entries.indices where isLive(j) { body(Int(entries[j].handle), Int32(j), entries[j].seen) }
    }

    /// How many nodes were seen strictly after `since`.
    func count(after since: Int64) -> Int {
        liveCount - livePrefix(firstAfter(since))
    }

    /// The node seen longest ago among those seen strictly after `since` (ties: the lowest id,
    /// which `id` gives for a handle), or nil when there is none.
    func stalest(after since: Int64, id: (Int) -> NodeID) -> Int? {
        guard let first = firstLive(from: firstAfter(since)) else { return nil }
        let seen = entries[first].seen
        var best = Int(entries[first].handle)
        var bestID = id(best)
        var j = first + 1
        while j < entries.count && entries[j].seen == seen {
            if isLive(j) {
                let candidate = id(Int(entries[j].handle))
                if candidate < bestID { best = Int(entries[j].handle); bestID = candidate }
            }
            j += 1
        }
        return best
    }

    /// The entry at `position` if it is live, as (handle, seen): for the consistency check.
    func liveEntry(at position: Int32) -> (handle: Int, seen: Int64)? {
        let j = Int(position)
        guard j >= 0, j < entries.count, isLive(j) else { return nil }
        return (Int(entries[j].handle), entries[j].seen)
    }

    /// Whether the entries are sorted, the bitmap has no bit past them and the count matches
    /// it (consistency check; O(n)). The owner checks the positions.
    var isConsistent: Bool {
        guard liveBits.count == (entries.count + 63) / 64 else { return false }
        var live = 0
        for j in entries.indices {
            if j > 0 && entries[j - 1].seen > entries[j].seen { return false }
            if isLive(j) { live += 1 }
        }
        if let last = liveBits.last, entries.count & 63 != 0, last >> UInt64(entries.count & 63) != 0 { return false }
        return live == liveCount
    }

    // MARK: The array and its bitmap

    @inline(__always) private func isLive(_ j: Int) -> Bool {
        liveBits[j &>> 6] & (1 &<< UInt64(j & 63)) != 0
    }

    /// The first position whose sighting is after `since` (binary search; stale entries keep
    /// the order, so they are searched too).
    private func firstAfter(_ since: Int64) -> Int {
        var low = 0, high = entries.count
        while low < high {
            let mid = (low + high) / 2
            if entries[mid].seen <= since { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// Live entries among the first `n` positions: whole words, then part of one.
    private func livePrefix(_ n: Int) -> Int {
        var sum = 0
        let words = n &>> 6
        for w in 0..<words { sum &+= liveBits[w].nonzeroBitCount }
        if n & 63 != 0 { sum &+= (liveBits[words] & ((1 &<< UInt64(n & 63)) - 1)).nonzeroBitCount }
        return sum
    }

    /// The first live position at or after `start`, or nil.
    private func firstLive(from start: Int) -> Int? {
        guard start < entries.count else { return nil }
        var word = start &>> 6
        var bits = liveBits[word] & ~((1 &<< UInt64(start & 63)) - 1)
        while bits == 0 {
            word += 1
            guard word < liveBits.count else { return nil }
            bits = liveBits[word]
        }
        return word &<< 6 | bits.trailingZeroBitCount
    }

    /// Drops the stale entries in place, inserts `entry` (if any) in order, and rebuilds the
    /// bitmap: O(n), no allocation beyond growth. Every position moves (`moved`).
    private mutating func rebuild(inserting entry: Entry?) {
        moved = true
        var w = 0
        for r in entries.indices where isLive(r) {
            entries[w] = entries[r]
            w += 1
        }
        entries.removeLast(entries.count - w)
        if let entry { entries.insert(entry, at: firstAfter(entry.seen)) }
        let n = entries.count
        liveCount = n
        liveBits.removeAll(keepingCapacity: true)
        liveBits.append(contentsOf: repeatElement(~0, count: n &>> 6))
        if n & 63 != 0 { liveBits.append((1 &<< UInt64(n & 63)) - 1) }
    }
}
