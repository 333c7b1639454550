/// A dense slot per spelling of an `X-Node-Key` header, made on first use: where the observer
/// keeps each node's last accepted heartbeat (`heartbeating-nodes-online`). Spellings are
/// compared byte for byte (a spelling no node row has gets a slot of its own, which nothing
/// reads). The `[String: Int]` this replaces compared them as `String`s, which also equates
/// canonically equivalent Unicode spellings; for ASCII the two are the same, and only ASCII
/// reaches it: a heartbeat is recorded only if accepted, and authentication decodes its key
/// with the strict base64 decoder (`Base64.decode`), so its spelling is base64 with, at most,
/// spaces or tabs around it; the slots read are `PublicKey.base64`.
///
/// Why not `[String: Int]`: every accepted heartbeat hashed its 44-character key with SipHash
/// (about 780 instructions: a simulated day at 10,000 nodes accepts 57.6 million heartbeats),
/// and the table kept every node's key string alive. Here the spellings' UTF-8 bytes lie back to
/// back in one array, the table is an open-addressing array of 64-bit entries at most half
/// full, and a lookup is a multiply-mix of the key's 8-byte words and, usually, one comparison.
///
/// Why no keyed hash: a spelling is recorded only for a heartbeat the store accepted, so it is
/// the key of a node that registered, drawn from the world's seeded stream; nothing here comes
/// from an adversary who could choose colliding keys (and a collision only costs a probe).
/// Nothing iterates the table, so its layout never reaches behaviour.
///
/// Why records and tags (part E of issue 11): at 10,000 nodes every lookup missed the cache
/// three or four times (the table, the spelling's end in `ends`, its bytes, and the same again
/// for every other spelling its probe passed), 2.3 % of a fleet run. Now a table entry holds a
/// 32-bit tag of the spelling's hash beside where its record starts, so a probe passing other
/// spellings compares tags in the table's own cache line, and the record holds its slot and
/// length right before its bytes: a lookup reads the table's line and the record's one or two.
struct KeySpellingIndex {
    /// Every spelling's record, in slot order: its slot and its length (two little-endian
    /// `UInt32`s), then its bytes.
    private var records: [UInt8] = []
    /// `0` for an empty position, else the spelling's tag (high 32 bits) and its record's
    /// start plus one (low 32 bits).
    private var table = [UInt64](repeating: 0, count: 16)
    private var shift: UInt64 = 64 - 4

    /// Slots made so far (`0..<count`).
    private(set) var count = 0

    /// Bytes before a record's spelling: its slot and its length.
    private static let recordHeader = 8

    /// The slot of `key`'s spelling, nil if it has none.
    func find(_ key: String) -> Int? {
        var key = key
        return key.withUTF8 { probe($0).slot }
    }

    /// Where spelling `k` is: its slot, or nil and the empty position its probe ended at (where
    /// `slot(_:)` puts it). Linear probing from the spelling's home position; the bytes are
    /// compared only where the tags agree.
    @inline(__always)
    private func probe(_ k: UnsafeBufferPointer<UInt8>) -> (slot: Int?, position: Int, tag: UInt64) {
        let mixed = Self.mix(k)
        var position = Int(truncatingIfNeeded: mixed >> shift)
        let tag = mixed << 32
        let mask = table.count - 1
        return table.withUnsafeBufferPointer { table in
            records.withUnsafeBufferPointer { records in
                while true {
                    let entry = table[position]
                    if entry == 0 { return (nil, position, tag) }
                    if entry & 0xFFFF_FFFF_0000_0000 == tag,
                        let slot = Self.slot(ofRecordAt: Int(truncatingIfNeeded: entry & 0xFFFF_FFFF) - 1, in: records, spelling: k)
                    {
                        return (slot, position, tag)
                    }
                    position = (position + 1) & mask
                }
            }
        }
    }

    /// The slot of the record at `start` if it spells `k`, else nil.
    @inline(__always)
    private static func slot(ofRecordAt start: Int, in records: UnsafeBufferPointer<UInt8>, spelling k: UnsafeBufferPointer<UInt8>) -> Int? {
        let raw = UnsafeRawPointer(records.baseAddress! + start)
        let length = Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4, as: UInt32.self)))
        guard length == k.count else { return nil }
        guard k.count == 0 || memcmpEqual(raw + recordHeader, UnsafeRawPointer(k.baseAddress!), k.count) else { return nil }
        return Int(UInt32(littleEndian: raw.loadUnaligned(as: UInt32.self)))
    }

    /// The slot of `key`'s spelling, made (the next one, `count`) if it has none.
    mutating func slot(_ key: String) -> Int {
        var key = key
        return key.withUTF8 { k in
            let (found, position, tag) = probe(k)
            if let found { return found }
            let slot = count
            let start = records.count
            precondition(start + Self.recordHeader + k.count < Int(Int32.max), "key spellings fit in 2 GB")
            withUnsafeBytes(of: UInt32(truncatingIfNeeded: slot).littleEndian) { records.append(contentsOf: $0) }
            withUnsafeBytes(of: UInt32(truncatingIfNeeded: k.count).littleEndian) { records.append(contentsOf: $0) }
            records.append(contentsOf: k)
            count += 1
            if count * 2 > table.count {
                grow()
            } else {
                table[position] = tag | UInt64(start + 1)
            }
            return slot
        }
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
    /// 32 the tag (`hash` and the multiplier as before).
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

    /// Doubles the table and places every record again (each spelling rehashed from its bytes).
    private mutating func grow() {
        var table = [UInt64](repeating: 0, count: self.table.count * 2)
        shift -= 1
        let shift = self.shift
        let mask = table.count - 1
        records.withUnsafeBufferPointer { r in
            var start = 0
            while start < r.count {
                let raw = UnsafeRawPointer(r.baseAddress! + start)
                let length = Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4, as: UInt32.self)))
                let spelling = UnsafeBufferPointer(rebasing: r[(start + Self.recordHeader)..<(start + Self.recordHeader + length)])
                let mixed = Self.mix(spelling)
                var position = Int(truncatingIfNeeded: mixed >> shift)
                while table[position] != 0 { position = (position + 1) & mask }
                table[position] = mixed << 32 | UInt64(start + 1)
                start += Self.recordHeader + length
            }
        }
        self.table = table
    }

    /// Whether every slot is found again by its own spelling, at a position its probe reaches,
    /// and the table is at most half full (for tests).
    func isConsistent() -> Bool {
        var seen = 0
        var start = 0
        var ok = true
        records.withUnsafeBufferPointer { r in
            while start < r.count, ok {
                let raw = UnsafeRawPointer(r.baseAddress! + start)
                let slot = Int(UInt32(littleEndian: raw.loadUnaligned(as: UInt32.self)))
                let length = Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4, as: UInt32.self)))
                let spelling = UnsafeBufferPointer(rebasing: r[(start + Self.recordHeader)..<(start + Self.recordHeader + length)])
                ok = slot == seen && probe(spelling).slot == slot
                seen += 1
                start += Self.recordHeader + length
            }
        }
        let occupied = table.reduce(0) { $0 + ($1 == 0 ? 0 : 1) }
        return ok && seen == count && occupied == count && count * 2 <= table.count
    }
}
