import CPrefetch
import Engine

/// A dense slot per spelling of an `X-Node-Key` header, made on first use, and beside each
/// spelling the instant of the last heartbeat accepted under it: where the observer keeps each
/// node's last accepted heartbeat (`heartbeating-nodes-online`). Spellings are compared byte
/// for byte (a spelling no node row has gets a slot of its own, which nothing reads). The
/// `[String: Int]` this replaced compared them as `String`s, which also equates canonically
/// equivalent Unicode spellings; for ASCII the two are the same, and only ASCII reaches it: a
/// heartbeat is recorded only if accepted, and authentication decodes its key with the strict
/// base64 decoder (`Base64.decode`), so its spelling is base64 with, at most, spaces or tabs
/// around it; the slots read are `PublicKey.base64`.
///
/// Why not `[String: Int]`: every accepted heartbeat hashed its 44-character key with SipHash
/// (about 780 instructions: a simulated day at 10,000 nodes accepts 57.6 million heartbeats),
/// and the table kept every node's key string alive. Here a lookup is a multiply-mix of the
/// key's 8-byte words and, usually, one comparison.
///
/// Why no keyed hash: a spelling is recorded only for a heartbeat the store accepted, so it is
/// the key of a node that registered, drawn from the world's seeded stream; nothing here comes
/// from an adversary who could choose colliding keys (and a collision only costs a probe).
/// Nothing iterates the table, so its layout never reaches behaviour.
///
/// Why cells (part F of issue 11): at 10,000 nodes every accepted heartbeat missed the cache
/// three or four times here (the table, the spelling's record, often the next line of it, and
/// the separate array of times), 2.5 % of a fleet run. Each slot is now one 64-byte cell on a
/// cache line of its own holding the time, the length and the spelling (up to 48 bytes inline;
/// longer ones in a side array, which no node's key needs): a lookup reads the table's line and
/// the cell's, and writes the time in the line it just compared. With a hint (`slot(_:hint:)`,
/// the slot the same client used last time) it reads the cell's line only.
struct KeySpellingIndex {
    /// The cells (8 words each, every cell on a 64-byte line of its own), shared by copies of
    /// the index until one of them writes (`makeCellsUnique`). Word 0: the time's nanoseconds;
    /// word 1: the spelling's length (low 32 bits), bit 32 set when a time is recorded; words
    /// 2–7: the spelling, inline if it has at most 48 bytes, else word 2 is its start in `long`.
    /// Only the cells of slots `0..<count` are initialised.
    private var cells = CellStorage(capacity: 0)
    /// The bytes of spellings longer than `inlineBytes`, back to back.
    private var long: [UInt8] = []
    /// `0` for an empty position, else the spelling's tag (high 32 bits) and its slot plus one
    /// (low 32 bits).
    private var table = [UInt64](repeating: 0, count: 16)
    private var shift: UInt64 = 64 - 4

    /// Slots made so far (`0..<count`).
    private(set) var count = 0

    private static let cellWords = 8
    private static let inlineBytes = 48
    private static let hasTime: UInt64 = 1 << 32

    /// The slot of `key`'s spelling, nil if it has none.
    func find(_ key: String) -> Int? {
        var key = key
        return key.withUTF8 { probe($0).slot }
    }

    /// The slot of `key`'s spelling, made (the next one, `count`) if it has none.
    mutating func slot(_ key: String) -> Int {
        var key = key
        return key.withUTF8 { slot(spelling: $0) }
    }

    /// `slot(key)`, trying `hint` first (any integer: a slot that does not spell `key`, or
    /// none, is only a wasted comparison).
    @inline(__always)
    mutating func slot(_ key: String, hint: Int) -> Int {
        var key = key
        return key.withUTF8 { slot(bytes: $0, hint: hint) }
    }

    /// `slot(_:hint:)` of the key these UTF-8 bytes spell.
    @inline(__always)
    mutating func slot(bytes k: UnsafeBufferPointer<UInt8>, hint: Int) -> Int {
        if hint >= 0, hint < count, spells(hint, k) { return hint }
        return slot(spelling: k)
    }

    /// Asks for the cache line of `slot`'s cell (nothing for a slot out of range). A hint only:
    /// it changes nothing but timing.
    @inline(__always)
    func prefetch(_ slot: Int) {
        guard slot >= 0, slot < count else { return }
        cprefetch_read(cells.words + slot * Self.cellWords)
    }

    /// The instant recorded for `slot` (`setTime`), nil if none.
    @inline(__always)
    func time(_ slot: Int) -> SimInstant? {
        precondition(slot >= 0 && slot < count, "a slot of the index")
        let c = cells.words + slot * Self.cellWords
        return c[1] & Self.hasTime != 0 ? SimInstant(nanoseconds: Int64(bitPattern: c[0])) : nil
    }

    /// Records `t` for `slot`.
    @inline(__always)
    mutating func setTime(_ slot: Int, _ t: SimInstant) {
        precondition(slot >= 0 && slot < count, "a slot of the index")
        makeCellsUnique()
        let c = cells.words + slot * Self.cellWords
        c[0] = UInt64(bitPattern: t.nanoseconds)
        c[1] |= Self.hasTime
    }

    private mutating func slot(spelling k: UnsafeBufferPointer<UInt8>) -> Int {
        let (found, position, tag) = probe(k)
        if let found { return found }
        let slot = count
        precondition(slot < Int(UInt32.max) - 1, "fewer than 2^32 spellings")
        if slot == cells.capacity {
            growCells()
        } else {
            makeCellsUnique()
        }
        // The new cell is initialised here, every word of it (the room beyond it stays
        // uninitialised and untouched: `CellStorage`).
        let c = cells.words + slot * Self.cellWords
        c.initialize(repeating: 0, count: Self.cellWords)
        c[1] = UInt64(k.count)
        if k.count > 0, k.count <= Self.inlineBytes {
            UnsafeMutableRawPointer(c + 2).copyMemory(from: k.baseAddress!, byteCount: k.count)
        }
        if k.count > Self.inlineBytes {
            precondition(long.count + k.count < Int(Int32.max), "key spellings fit in 2 GB")
            c[2] = UInt64(long.count)
            long.append(contentsOf: k)
        }
        count += 1
        if count * 2 > table.count {
            grow()
        } else {
            table[position] = tag | UInt64(slot + 1)
        }
        return slot
    }

    /// Where spelling `k` is: its slot, or nil and the empty position its probe ended at (where
    /// `slot(spelling:)` puts it). Linear probing from the spelling's home position; the bytes
    /// are compared only where the tags agree.
    @inline(__always)
    private func probe(_ k: UnsafeBufferPointer<UInt8>) -> (slot: Int?, position: Int, tag: UInt64) {
        let mixed = Self.mix(k)
        var position = Int(truncatingIfNeeded: mixed >> shift)
        let tag = mixed << 32
        let mask = table.count - 1
        return table.withUnsafeBufferPointer { table in
            while true {
                let entry = table[position]
                if entry == 0 { return (nil, position, tag) }
                if entry & 0xFFFF_FFFF_0000_0000 == tag {
                    let slot = Int(truncatingIfNeeded: entry & 0xFFFF_FFFF) - 1
                    if spells(slot, k) { return (slot, position, tag) }
                }
                position = (position + 1) & mask
            }
        }
    }

    /// Whether the cell of `slot` spells `k`.
    @inline(__always)
    private func spells(_ slot: Int, _ k: UnsafeBufferPointer<UInt8>) -> Bool {
        let c = UnsafePointer(cells.words + slot * Self.cellWords)
        let length = Int(truncatingIfNeeded: c[1] & 0xFFFF_FFFF)
        guard length == k.count else { return false }
        guard length > 0 else { return true }
        if length <= Self.inlineBytes {
            return Self.memcmpEqual(UnsafeRawPointer(c + 2), UnsafeRawPointer(k.baseAddress!), length)
        }
        let start = Int(truncatingIfNeeded: c[2])
        return long.withUnsafeBufferPointer { l in
            Self.memcmpEqual(UnsafeRawPointer(l.baseAddress! + start), UnsafeRawPointer(k.baseAddress!), length)
        }
    }

    /// The spelling of `slot`'s cell (for growing the table and for tests).
    private func spelling<R>(_ slot: Int, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        let c = UnsafePointer(cells.words + slot * Self.cellWords)
        let length = Int(truncatingIfNeeded: c[1] & 0xFFFF_FFFF)
        if length <= Self.inlineBytes {
            // The cell's words are bound to `UInt64`: its bytes are read as bytes through a
            // temporary rebinding, not by assuming a binding they do not have.
            return UnsafeRawPointer(c + 2).withMemoryRebound(to: UInt8.self, capacity: length) {
                body(UnsafeBufferPointer(start: $0, count: length))
            }
        }
        let start = Int(truncatingIfNeeded: c[2])
        return long.withUnsafeBufferPointer { l in body(UnsafeBufferPointer(rebasing: l[start..<(start + length)])) }
    }

    /// Whether the `n` bytes at `a` and `b` are equal: 8 at a time, the last 8 overlapping.
    @inline(__always)
    private static func memcmpEqual(_ x: UnsafeRawPointer, _ y: UnsafeRawPointer, _ n: Int) -> Bool {
        guard n >= 8 else {
            for i in 0..<n where x.load(fromByteOffset: i, as: UInt8.self) != y.load(fromByteOffset: i, as: UInt8.self) {
                return false
            }
            return true
        }
        var i = 0
        while i < n - 8 {
            if x.loadUnaligned(fromByteOffset: i, as: UInt64.self) != y.loadUnaligned(fromByteOffset: i, as: UInt64.self) {
                return false
            }
            i += 8
        }
        return x.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self) == y.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
    }

    /// A spelling's hash mixed by multiplication: its top bits give the probe's start, its low
    /// 32 the tag.
    @inline(__always)
    private static func mix(_ k: UnsafeBufferPointer<UInt8>) -> UInt64 {
        hash(k) &* 0xD6E8_FEB8_6659_FD93
    }

    /// A mix of every byte of `k` and its length: 8 bytes at a time, the last 8 overlapping
    /// (a spelling shorter than 8 bytes is read byte by byte).
    @inline(__always)
    static func hash(_ k: UnsafeBufferPointer<UInt8>) -> UInt64 {
        let n = k.count
        var h = UInt64(truncatingIfNeeded: n) &* 0x9E37_79B9_7F4A_7C15
        guard let base = k.baseAddress else { return h }
        guard n >= 8 else {
            var word: UInt64 = 0
            for i in 0..<n { word = word << 8 | UInt64(base[i]) }
            h = (h ^ word) &* 0x9E37_79B9_7F4A_7C15
            return h ^ (h >> 32)
        }
        let raw = UnsafeRawPointer(base)
        var i = 0
        while i < n - 8 {
            h = (h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0x9E37_79B9_7F4A_7C15
            h ^= h >> 29
            i += 8
        }
        h = (h ^ raw.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)) &* 0x9E37_79B9_7F4A_7C15
        return h ^ (h >> 32)
    }

    /// Doubles the cells' room (at least 64 slots) in new storage; the cells keep their
    /// contents and slots.
    private mutating func growCells() {
        cells = cells.copy(count: count, capacity: Swift.max(64, cells.capacity * 2))
    }

    /// Gives this index cells of its own before it writes one, if a copy of it shares them.
    @inline(__always)
    private mutating func makeCellsUnique() {
        if !isKnownUniquelyReferenced(&cells) { cells = cells.copy(count: count, capacity: cells.capacity) }
    }

    /// Doubles the table and places every slot again (each spelling rehashed from its bytes).
    private mutating func grow() {
        var table = [UInt64](repeating: 0, count: self.table.count * 2)
        shift -= 1
        let shift = self.shift
        let mask = table.count - 1
        for slot in 0..<count {
            let mixed = spelling(slot) { Self.mix($0) }
            var position = Int(truncatingIfNeeded: mixed >> shift)
            while table[position] != 0 { position = (position + 1) & mask }
            table[position] = mixed << 32 | UInt64(slot + 1)
        }
        self.table = table
    }

    /// Whether every slot is found again by its own spelling, at a position its probe reaches,
    /// the table is at most half full and its entries name distinct slots (for tests).
    func isConsistent() -> Bool {
        var ok = true
        for slot in 0..<count where ok {
            ok = spelling(slot) { probe($0).slot } == slot
        }
        var named = Set<UInt64>()
        for entry in table where entry != 0 { named.insert(entry & 0xFFFF_FFFF) }
        let occupied = table.reduce(0) { $0 + ($1 == 0 ? 0 : 1) }
        return ok && occupied == count && named.count == count && count * 2 <= table.count && count <= cells.capacity
    }
}

/// The memory of `KeySpellingIndex`'s cells: room for `capacity` cells of 8 words, on 64-byte
/// lines, allocated uninitialised. The index initialises a slot's cell when it makes the slot
/// and reads only cells it has initialised, so the room beyond its slots is never touched and
/// its pages cost no resident memory until slots reach them (zero-filling the room made the
/// 10,000-node run's cells 1 MB resident instead of 0.64 MB). (The `[UInt64]` this replaced
/// was made with `unsafeUninitializedCapacity` and declared all of its room initialised: the
/// same bytes, but a contract it did not keep.) A class so that a copy of the index shares the
/// cells until one of the two writes; the words are plain integers (nothing to deinitialise).
private final class CellStorage {
    let words: UnsafeMutablePointer<UInt64>
    /// Cells there is room for.
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
        let raw = UnsafeMutableRawPointer.allocate(byteCount: Swift.max(1, capacity) * 64, alignment: 64)
        words = raw.bindMemory(to: UInt64.self, capacity: capacity * 8)
    }

    /// New storage with room for `capacity` cells, whose first `count` (those initialised here)
    /// are initialised to copies of these.
    func copy(count: Int, capacity: Int) -> CellStorage {
        precondition(count <= self.capacity && count <= capacity, "the cells copied fit")
        let new = CellStorage(capacity: capacity)
        new.words.initialize(from: words, count: count * 8)
        return new
    }

    deinit { words.deallocate() }
}
