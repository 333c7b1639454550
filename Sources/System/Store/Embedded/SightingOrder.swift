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
/// sighting can be older than the newest entry. Such a late sighting is appended, unsorted, to
/// a side list (`late`), which both questions scan after their binary search; the side list is
/// sorted and merged into the array once it holds an eighth of the live entries (and 256).
/// While the clock is behind, every heartbeat is late: each used to be an O(n) insertion (at
/// 10,000 nodes, 15,000 entries moved a heartbeat until the clock caught up); now it is an
/// append, a merge costs O(n) every n/8 late sightings (amortised eight moves each, and eight
/// positions rewritten by the owner), and a query scans at most n/8 late entries. The answers
/// are the same whichever list an entry is in. Stale entries are dropped by the same rebuild
/// once they outnumber half the live ones (and 4,096), which keeps the whole within 1.5× the
/// live nodes (plus 4,096) and the rebuilds amortised O(1) per sighting.
struct SightingOrder: Sendable {
    struct Entry: Sendable {
        var seen: Int64
        var handle: Int32
    }

    /// The entries, sorted by `seen`, stale ones included.
    private var entries: [Entry] = []
    /// Bit `j & 63` of word `j >> 6`: entry `j` is live.
    private var liveBits: [UInt64] = []
    /// Late sightings (older than the newest entry when they came), in arrival order; a stale
    /// one has handle -1. Entry `k` has position `lateBase + k`.
    private var late: [Entry] = []
    private var lateLive = 0
    /// Live entries: nodes with a sighting (in either list).
    private(set) var liveCount = 0
    /// Rebuilds so far (the model test bounds them).
    private(set) var rebuilds = 0

    /// Positions from here on are in `late`.
    static let lateBase: Int32 = 1 << 30
    /// `late` is merged once it holds more than this many entries, or an eighth of the live ones.
    static let lateFloor = 256
    /// Whether the last `set` rebuilt the array: every live entry moved, and the owner, which
    /// keeps each node's position (`DenseNode.sightingPosition`), reads them again
    /// (`forEachLive`).
    private(set) var moved = false

    init() {}

    /// Entries stored, stale ones included (for bounds tests and memory figures).
    var storedCount: Int { entries.count + late.count }

    /// Late entries stored, stale ones included (for the model test).
    var lateCount: Int { late.count }

    /// Moves `handle` from its live entry at `old` (-1: none) to a sighting at `micros`
    /// (`Int64.min`: none, for a deleted node), and returns its new position (-1: none). Called
    /// only when the sighting changes (the caller compares with the node's dense field). When
    /// `moved` is then true, every position changed.
    mutating func set(_ handle: Int, from old: Int32, seen micros: Int64) -> Int32 {
        moved = false
        if old >= Self.lateBase {
            late[Int(old - Self.lateBase)].handle = -1
            lateLive -= 1
            liveCount -= 1
        } else if old >= 0 {
            let o = Int(old)
            liveBits[o &>> 6] &= ~(1 &<< UInt64(o & 63))
            liveCount -= 1
        }
        var position: Int32 = -1
        if micros != .min {
            let entry = Entry(seen: micros, handle: Int32(truncatingIfNeeded: handle))
            liveCount += 1
            if let last = entries.last, micros < last.seen {
                // Late (the store's clock is behind the newest sighting): to the side list.
                position = Self.lateBase + Int32(truncatingIfNeeded: late.count)
                late.append(entry)
                lateLive += 1
                if late.count > Swift.max(Self.lateFloor, liveCount / 8) {
                    rebuild()
                    return -1  // (`moved`: the owner reads every position again)
                }
            } else {
                let j = entries.count
                precondition(j < Int(Self.lateBase), "sighting order full")
                entries.append(entry)
                if j & 63 == 0 { liveBits.append(0) }
                liveBits[j &>> 6] |= 1 &<< UInt64(j & 63)
                position = Int32(truncatingIfNeeded: j)
            }
        }
        if storedCount - liveCount > Swift.max(4_096, liveCount / 2) {
            rebuild()
            return -1
        }
        return position
    }

    /// Calls `body` with every live entry's handle, position and sighting: the sorted ones in
    /// order, then the late ones as they came.
    func forEachLive(_ body: (_ handle: Int, _ position: Int32, _ seen: Int64) -> Void) {
        for j in entries.indices where isLive(j) { body(Int(entries[j].handle), Int32(j), entries[j].seen) }
        for k in late.indices where late[k].handle >= 0 {
            body(Int(late[k].handle), Self.lateBase + Int32(k), late[k].seen)
        }
    }

    /// How many nodes were seen strictly after `since`.
    func count(after since: Int64) -> Int {
        var count = (liveCount - lateLive) - livePrefix(firstAfter(since))
        if lateLive > 0 {
            for entry in late where entry.handle >= 0 && entry.seen > since { count += 1 }
        }
        return count
    }

    /// The node seen longest ago among those seen strictly after `since` (ties: the lowest id,
    /// which `id` gives for a handle), or nil when there is none.
    func stalest(after since: Int64, id: (Int) -> NodeID) -> Int? {
        var best = -1
        var bestSeen = Int64.max
        var bestID = NodeID(Identifier(high: 0, low: 0))
        if let first = firstLive(from: firstAfter(since)) {
            let seen = entries[first].seen
            best = Int(entries[first].handle)
            bestSeen = seen
            bestID = id(best)
            var j = first + 1
            while j < entries.count && entries[j].seen == seen {
                if isLive(j) {
                    let candidate = id(Int(entries[j].handle))
                    if candidate < bestID { best = Int(entries[j].handle); bestID = candidate }
                }
                j += 1
            }
        }
        if lateLive > 0 {
            for entry in late where entry.handle >= 0 && entry.seen > since && entry.seen <= bestSeen {
                let candidate = id(Int(entry.handle))
                if best < 0 || entry.seen < bestSeen || candidate < bestID {
                    best = Int(entry.handle)
                    bestSeen = entry.seen
                    bestID = candidate
                }
            }
        }
        return best < 0 ? nil : best
    }

    /// The entry at `position` if it is live, as (handle, seen): for the consistency check.
    func liveEntry(at position: Int32) -> (handle: Int, seen: Int64)? {
        if position >= Self.lateBase {
            let k = Int(position - Self.lateBase)
            guard k < late.count, late[k].handle >= 0 else { return nil }
            return (Int(late[k].handle), late[k].seen)
        }
        let j = Int(position)
        guard j >= 0, j < entries.count, isLive(j) else { return nil }
        return (Int(entries[j].handle), entries[j].seen)
    }

    /// Whether the entries are sorted, the bitmap has no bit past them and the counts match
    /// the bitmap and the late list (consistency check; O(n)). The owner checks the positions.
    var isConsistent: Bool {
        guard liveBits.count == (entries.count + 63) / 64 else { return false }
        var live = 0
        for j in entries.indices {
            if j > 0 && entries[j - 1].seen > entries[j].seen { return false }
            if isLive(j) { live += 1 }
        }
        if let last = liveBits.last, entries.count & 63 != 0, last >> UInt64(entries.count & 63) != 0 { return false }
        let lateLiveCounted = late.reduce(0) { $0 + ($1.handle >= 0 ? 1 : 0) }
        return lateLiveCounted == lateLive && live + lateLive == liveCount
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

    /// Drops the stale entries in place, merges the live late ones (sorted by sighting, then
    /// handle) into the array, and rebuilds the bitmap: O(n + l log l) for l late entries, no
    /// allocation beyond growth and the late list's sort. Every position moves (`moved`).
    private mutating func rebuild() {
        moved = true
        rebuilds += 1
        var w = 0
        for r in entries.indices where isLive(r) {
            entries[w] = entries[r]
            w += 1
        }
        entries.removeLast(entries.count - w)
        if lateLive > 0 {
            var sortedLate = late.filter { $0.handle >= 0 }
            sortedLate.sort { ($0.seen, $0.handle) < ($1.seen, $1.handle) }
            // Merge from the back, in place: the array grows by the late entries first.
            var r = entries.count - 1
            var l = sortedLate.count - 1
            entries.append(contentsOf: sortedLate)
            var out = entries.count - 1
            while l >= 0 {
                if r >= 0 && entries[r].seen > sortedLate[l].seen {
                    entries[out] = entries[r]
                    r -= 1
                } else {
                    entries[out] = sortedLate[l]
                    l -= 1
                }
                out -= 1
            }
        }
        late.removeAll(keepingCapacity: true)
        lateLive = 0
        let n = entries.count
        liveCount = n
        liveBits.removeAll(keepingCapacity: true)
        liveBits.append(contentsOf: repeatElement(~0, count: n &>> 6))
        if n & 63 != 0 { liveBits.append((1 &<< UInt64(n & 63)) - 1) }
    }
}
