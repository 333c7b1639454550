/// The live nodes that have been seen, ordered by `last_seen_at`: how the sentinel's snapshot
/// counts the online nodes (`last_seen_at > since`) and finds the one seen longest ago without
/// walking every node on every wake.
///
/// Entries sit in an array sorted by sighting (`seen`, non-decreasing), with lazy deletion: a
/// node's newer sighting appends a new entry and leaves the old one stale. A bitmap marks the
/// live entries and a count per 4,096 entries sums them, so the live entries of any prefix are
/// a few counts and at most 64 popcounts; both questions are a binary search plus that:
/// - online = live entries after the last one with `seen <= since`;
/// - the stalest online node = the first live entry after it (ties in `seen` go to the lowest
///   node id: the entries of equal sighting that follow are compared).
/// A sighting costs O(1) (clear a bit, append an entry, set a bit, two counts): heartbeats are
/// most of a fleet's events and the snapshot runs once a pass, so the cost sits in the query
/// (a Fenwick tree, O(log n) both ways, cost a heartbeat about 300 instructions more).
///
/// Why not "heartbeats only raise `last_seen_at`": they set it to the store's `now`, and that
/// clock can be stepped back (a clock fault on the store's server, a test setting it), so a
/// sighting can be older than the newest entry. Such a sighting is inserted in order: the array
/// is compacted and the counts rebuilt, O(n), where the usual in-order sighting is an append.
/// Stale entries are dropped by the same rebuild once they outnumber half the live ones (and
/// 1,024), which keeps the array within 1.5× the live nodes and the rebuilds amortised O(1)
/// per sighting.
struct SightingOrder: Sendable {
    /// Each entry's sighting, in micros; sorted, stale entries included.
    private var seen: [Int64] = []
    /// Each entry's node handle.
    private var handles: [Int32] = []
    /// Bit `j & 63` of word `j >> 6`: entry `j` is live.
    private var liveBits: [UInt64] = []
    /// Live entries per 4,096 positions (64 words).
    private var liveBySpan: [Int32] = []
    /// Per node handle, the position of its live entry, or -1 (never seen, or deleted).
    private var position: [Int32] = []
    /// Live entries: nodes with a sighting.
    private(set) var liveCount = 0

    private static let spanShift = 12

    init() {}

    /// Makes room for the next node handle (registration; handles are dense and only grow).
    mutating func addNode() { position.append(-1) }

    /// Entries stored, stale ones included (for bounds tests and memory figures).
    var storedCount: Int { seen.count }

    /// Sets `handle`'s sighting (`Int64.min`: none, for a deleted node).
    mutating func set(_ handle: Int, seen micros: Int64) {
        let old = Int(position[handle])
        if old >= 0 {
            if seen[old] == micros { return }
            liveBits[old &>> 6] &= ~(1 &<< UInt64(old & 63))
            liveBySpan[old &>> Self.spanShift] -= 1
            position[handle] = -1
            liveCount -= 1
        }
        if micros != .min {
            if let last = seen.last, micros < last {
                rebuild(inserting: (micros, Int32(truncatingIfNeeded: handle)))
                return
            }
            append(handle, micros)
        }
        if seen.count - liveCount > Swift.max(1_024, liveCount / 2) { rebuild(inserting: nil) }
    }

    /// How many nodes were seen strictly after `since`.
    func count(after since: Int64) -> Int {
        liveCount - prefix(firstAfter(since))
    }

    /// The node seen longest ago among those seen strictly after `since` (ties: the lowest id,
    /// which `id` gives for a handle), or nil when there is none.
    func stalest(after since: Int64, id: (Int) -> NodeID) -> Int? {
        guard let first = firstLive(from: firstAfter(since)) else { return nil }
        var best = Int(handles[first])
        var bestID = id(best)
        var j = first + 1
        while j < seen.count && seen[j] == seen[first] {
            if isLive(j) {
                let candidate = id(Int(handles[j]))
                if candidate < bestID { best = Int(handles[j]); bestID = candidate }
            }
            j += 1
        }
        return best
    }

    /// The live entries, in order, as (handle, seen): for the consistency check.
    var liveEntries: [(handle: Int, seen: Int64)] {
        seen.indices.compactMap { j in isLive(j) ? (Int(handles[j]), seen[j]) : nil }
    }

    /// Whether the bitmap, the counts and the positions agree with the entries (consistency
    /// check; O(n)).
    var isConsistent: Bool {
        guard liveBits.count == (seen.count + 63) / 64, liveBySpan.count == (liveBits.count + 63) / 64 else { return false }
        var bySpan = [Int32](repeating: 0, count: liveBySpan.count)
        var live = 0
        for j in seen.indices {
            if j > 0 && seen[j - 1] > seen[j] { return false }
            let h = Int(handles[j])
            if isLive(j) != (Int(position[h]) == j) { return false }
            if isLive(j) {
                live += 1
                bySpan[j >> Self.spanShift] += 1
            }
        }
        if let last = liveBits.last, seen.count & 63 != 0, last >> UInt64(seen.count & 63) != 0 { return false }
        return live == liveCount && bySpan == liveBySpan && position.indices.allSatisfy { h in
            position[h] < 0 || (Int(position[h]) < seen.count && Int(handles[Int(position[h])]) == h)
        }
    }

    // MARK: The array and its counts

    @inline(__always) private func isLive(_ j: Int) -> Bool {
        liveBits[j &>> 6] & (1 &<< UInt64(j & 63)) != 0
    }

    /// The first position whose sighting is after `since` (binary search; stale entries keep
    /// the order, so they are searched too).
    private func firstAfter(_ since: Int64) -> Int {
        var low = 0, high = seen.count
        while low < high {
            let mid = (low + high) / 2
            if seen[mid] <= since { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// Live entries among the first `n` positions: whole spans, whole words, then part of one.
    private func prefix(_ n: Int) -> Int {
        var sum = 0
        let spans = n &>> Self.spanShift
        for s in 0..<spans { sum += Int(liveBySpan[s]) }
        let words = n &>> 6
        for w in (spans &<< (Self.spanShift - 6))..<words { sum += liveBits[w].nonzeroBitCount }
        if n & 63 != 0 { sum += (liveBits[words] & ((1 &<< UInt64(n & 63)) - 1)).nonzeroBitCount }
        return sum
    }

    /// The first live position at or after `start`, or nil.
    private func firstLive(from start: Int) -> Int? {
        guard start < seen.count else { return nil }
        var word = start &>> 6
        var bits = liveBits[word] & ~((1 &<< UInt64(start & 63)) - 1)
        while bits == 0 {
            word += 1
            guard word < liveBits.count else { return nil }
            // Skip spans with nothing live.
            if word & 63 == 0 {
                var span = word &>> 6
                while span < liveBySpan.count && liveBySpan[span] == 0 { span += 1 }
                guard span < liveBySpan.count else { return nil }
                word = span &<< 6
            }
            bits = liveBits[word]
        }
        return word &<< 6 | bits.trailingZeroBitCount
    }

    /// Appends a live entry at the end (its sighting is the newest).
    private mutating func append(_ handle: Int, _ micros: Int64) {
        let j = seen.count
        seen.append(micros)
        handles.append(Int32(truncatingIfNeeded: handle))
        if j & 63 == 0 { liveBits.append(0) }
        if j & ((1 << Self.spanShift) - 1) == 0 { liveBySpan.append(0) }
        liveBits[j &>> 6] |= 1 &<< UInt64(j & 63)
        liveBySpan[j &>> Self.spanShift] += 1
        position[handle] = Int32(j)
        liveCount += 1
    }

    /// Drops the stale entries in place, inserts `entry` (if any) in order, and rebuilds the
    /// positions, the bitmap and the counts: O(n), no allocation beyond growth.
    private mutating func rebuild(inserting entry: (seen: Int64, handle: Int32)?) {
        var w = 0
        for r in seen.indices where isLive(r) {
            seen[w] = seen[r]
            handles[w] = handles[r]
            w += 1
        }
        seen.removeLast(seen.count - w)
        handles.removeLast(handles.count - w)
        if let entry {
            let at = firstAfter(entry.seen)
            seen.insert(entry.seen, at: at)
            handles.insert(entry.handle, at: at)
        }
        let n = seen.count
        liveCount = n
        for j in handles.indices { position[Int(handles[j])] = Int32(j) }
        liveBits.removeAll(keepingCapacity: true)
        liveBits.append(contentsOf: repeatElement(~0, count: n &>> 6))
        if n & 63 != 0 { liveBits.append((1 &<< UInt64(n & 63)) - 1) }
        liveBySpan.removeAll(keepingCapacity: true)
        let span = 1 << Self.spanShift
        for start in stride(from: 0, to: n, by: span) { liveBySpan.append(Int32(Swift.min(span, n - start))) }
    }
}
