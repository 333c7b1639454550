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
/// back in one array, the table is an open-addressing array of 32-bit slots at most half full,
/// and a lookup is a multiply-mix of the key's 8-byte words and, usually, one comparison.
///
/// Why no keyed hash: a spelling is recorded only for a heartbeat the store accepted, so it is
/// the key of a node that registered, drawn from the world's seeded stream; nothing here comes
/// from an adversary who could choose colliding keys (and a collision only costs a probe).
/// Nothing iterates the table, so its layout never reaches behaviour.
struct KeySpellingIndex {
    /// Every spelling's bytes, in slot order.
    private var bytes: [UInt8] = []
    /// Where each slot's spelling ends in `bytes` (it starts where the previous one ends).
    private var ends: [Int32] = []
    /// `-1` for an empty position, else a slot.
    private var table = [Int32](repeating: -1, count: 16)
    private var shift: UInt64 = 64 - 4

    /// Slots made so far (`0..<count`).
    var count: Int { ends.count }

    /// The slot of `key`'s spelling, nil if it has none.
    func find(_ key: String) -> Int? {
        var key = key
        return key.withUTF8 { probe($0).slot }
    }

    /// Where spelling `k` is: its slot, or nil and the empty position its probe ended at (where
    /// `slot(_:)` puts it). Linear probing from the spelling's home position.
    @inline(__always)
    private func probe(_ k: UnsafeBufferPointer<UInt8>) -> (slot: Int?, position: Int) {
        var position = Self.home(k, shift: shift)
        let mask = table.count - 1
        while true {
            let slot = Int(table[position])
            if slot < 0 { return (nil, position) }
            if spells(slot, k) { return (slot, position) }
            position = (position + 1) & mask
        }
    }

    /// The slot of `key`'s spelling, made (the next one, `count`) if it has none.
    mutating func slot(_ key: String) -> Int {
        var key = key
        return key.withUTF8 { k in
            let (found, position) = probe(k)
            if let found { return found }
            let slot = ends.count
            precondition(bytes.count + k.count < Int(Int32.max), "key spellings fit in 2 GB")
            bytes.append(contentsOf: k)
            ends.append(Int32(bytes.count))
            if ends.count * 2 > table.count {
                grow()
            } else {
                table[position] = Int32(slot)
            }
            return slot
        }
    }

    /// Whether slot `slot` is spelt `k`.
    @inline(__always)
    private func spells(_ slot: Int, _ k: UnsafeBufferPointer<UInt8>) -> Bool {
        let start = slot == 0 ? 0 : Int(ends[slot - 1])
        let end = Int(ends[slot])
        guard end - start == k.count else { return false }
        return bytes.withUnsafeBufferPointer { b in
            k.count == 0 || memcmpEqual(b.baseAddress! + start, k.baseAddress!, k.count)
        }
    }

    /// Whether the `n` bytes at `a` and `b` are equal: 8 at a time, the last 8 overlapping.
    @inline(__always)
    private func memcmpEqual(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        guard n >= 8 else {
            for i in 0..<n where a[i] != b[i] { return false }
            return true
        }
        let x = UnsafeRawPointer(a), y = UnsafeRawPointer(b)
        var i = 0
        while i < n - 8 {
            if x.loadUnaligned(fromByteOffset: i, as: UInt64.self) != y.loadUnaligned(fromByteOffset: i, as: UInt64.self) {
                return false
            }
            i += 8
        }
        return x.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self) == y.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
    }

    /// The position a spelling's probe starts at: its 8-byte words (and its length) mixed by
    /// multiplication, the top bits taken.
    @inline(__always)
    private static func home(_ k: UnsafeBufferPointer<UInt8>, shift: UInt64) -> Int {
        Int(truncatingIfNeeded: (hash(k) &* 0xD6E8_FEB8_6659_FD93) >> shift)
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

    /// Doubles the table and places every slot again (each spelling rehashed from `bytes`).
    private mutating func grow() {
        var table = [Int32](repeating: -1, count: self.table.count * 2)
        shift -= 1
        let shift = self.shift
        let mask = table.count - 1
        let ends = self.ends
        bytes.withUnsafeBufferPointer { b in
            var start = 0
            for slot in ends.indices {
                let end = Int(ends[slot])
                var position = Self.home(UnsafeBufferPointer(rebasing: b[start..<end]), shift: shift)
                while table[position] >= 0 { position = (position + 1) & mask }
                table[position] = Int32(slot)
                start = end
            }
        }
        self.table = table
    }
}
