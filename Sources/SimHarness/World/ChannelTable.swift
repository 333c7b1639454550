import CPrefetch
import JobSystem

/// The API server's open assignment channels by node id (`APIServerHost.channels`), looked up
/// once for every assignment the store commits (`World.push`).
///
/// Open addressing with linear probing in a power-of-two table at most half full, each slot
/// holding its id and its channel end side by side: a lookup hashes the id with one multiply
/// and usually reads one slot, one cache line. The `Dictionary` it replaced ran SipHash over
/// the 16 bytes (about 280 instructions a lookup at N = 1,000), then read its occupancy
/// bitmap, its key array and its value array: three cold lines a lookup at N = 10,000, where
/// it was 0.5 % of the fleet's samples beside the hasher's own.
///
/// Node ids are the store's (drawn from its seeded stream, or PostgreSQL's), never a client's:
/// only an authenticated channel open inserts. Removal shifts the following entries of the
/// probe run back (no tombstones), so a probe ends at the first empty slot. Nothing iterates
/// the table in its slot order: `entries` sorts by node id, and the callers order what they
/// send themselves, as they did over the `Dictionary`.
struct ChannelTable {
    private struct Slot {
        var id: NodeID
        var end: ChannelEnd
    }

    private var slots: [Slot?] = Array(repeating: nil, count: 16)
    private var mask = 15
    private(set) var count = 0

    var isEmpty: Bool { count == 0 }

    /// The slot where a probe for `id` starts: the top bits of the mixed words (a multiply
    /// by an odd constant spreads every input bit upwards).
    @inline(__always)
    private func home(_ id: NodeID) -> Int {
        let mixed = (id.raw.high ^ (id.raw.low &* 0x9E37_79B9_7F4A_7C15)) &* 0xBF58_476D_1CE4_E5B9
        return Int(truncatingIfNeeded: mixed >> 32) & mask
    }

    /// The slot holding `id`, or the empty slot where its probe ended.
    @inline(__always)
    private func find(_ id: NodeID) -> (slot: Int, found: Bool) {
        var i = home(id)
        while let slot = slots[i] {
            if slot.id == id { return (i, true) }
            i = (i &+ 1) & mask
        }
        return (i, false)
    }

    /// The channel open for node `id`; setting nil closes it (removes the entry).
    subscript(id: NodeID) -> ChannelEnd? {
        get {
            let (i, found) = find(id)
            return found ? slots[i]!.end : nil
        }
        set {
            let (i, found) = find(id)
            if let end = newValue {
                if found {
                    slots[i]!.end = end
                } else {
                    slots[i] = Slot(id: id, end: end)
                    count += 1
                    if count * 2 > slots.count { grow() }
                }
            } else if found {
                remove(at: i)
            }
        }
    }

    /// Asks for the slot where a lookup of `id` starts (a hint: nothing is read). A slot is
    /// 40 bytes and may span two lines: both ends are asked for.
    @inline(__always)
    func prefetch(_ id: NodeID) {
        let slot = probeStart(id)
        cprefetch_read(slot)
        cprefetch_read(slot + (MemoryLayout<Slot?>.size &- 1))
    }

    /// Where a lookup of `id` starts reading: its home slot's address (`prefetch` asks for it;
    /// the test checks it against the slot a lookup finds).
    @inline(__always)
    func probeStart(_ id: NodeID) -> UnsafeRawPointer {
        let i = home(id)
        return slots.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress! + i) }
    }

    /// The address of the slot holding `id` and how many slots the probe passed to reach it
    /// (nil if `id` is absent); for the test.
    func slotAddress(of id: NodeID) -> (address: UnsafeRawPointer, distance: Int)? {
        let (i, found) = find(id)
        guard found else { return nil }
        return slots.withUnsafeBufferPointer { (UnsafeRawPointer($0.baseAddress! + i), (i &- home(id)) & mask) }
    }

    /// The table's slot count (a power of two) and a slot's stride; for the test.
    var capacity: Int { slots.count }
    static var slotStride: Int { MemoryLayout<Slot?>.stride }

    /// Every open channel, ordered by node id.
    var entries: [(id: NodeID, end: ChannelEnd)] {
        var all: [(id: NodeID, end: ChannelEnd)] = []
        all.reserveCapacity(count)
        for case let slot? in slots { all.append((slot.id, slot.end)) }
        all.sort { $0.id < $1.id }
        return all
    }

    mutating func removeAll() {
        slots = Array(repeating: nil, count: 16)
        mask = 15
        count = 0
    }

    /// Empties slot `i` and moves back each later entry of the run that its probe would no
    /// longer reach past the hole (backward-shift deletion).
    private mutating func remove(at i: Int) {
        var hole = i
        var j = i
        while true {
            j = (j &+ 1) & mask
            guard let slot = slots[j] else { break }
            let h = home(slot.id)
            // The entry at j may move into the hole unless its home lies cyclically in (hole, j].
            let reachable = hole <= j ? (h > hole && h <= j) : (h > hole || h <= j)
            if !reachable {
                slots[hole] = slot
                hole = j
            }
        }
        slots[hole] = nil
        count -= 1
    }

    /// Doubles the table, every entry placed again.
    private mutating func grow() {
        let old = slots
        slots = Array(repeating: nil, count: old.count * 2)
        mask = slots.count - 1
        for case let slot? in old {
            var i = home(slot.id)
            while slots[i] != nil { i = (i &+ 1) & mask }
            slots[i] = slot
        }
    }
}
