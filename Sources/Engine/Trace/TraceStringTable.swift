/// The trace digest's words for a few strings fixed in advance, found by the 16 bytes a
/// `String` value is made of, so that `TraceDigest.fold(_:known:)` folds one of them without
/// reading its characters.
///
/// Why: the world's digest folds a request's method and route at its `api` event and the route
/// again at its `transaction` event: three strings per heartbeat, each an FNV-1a loop over its
/// UTF-8 (about 140 instructions with the view's checks), always one of a dozen texts
/// (`POST`, `/node-heartbeat`, ...). A lookup here is two compares.
///
/// Why the same digest: an entry holds its string's FNV-1a key and UTF-8 length, computed by
/// `streamKey` when the table is built, and is found only by a string whose two words equal
/// those of the string the table holds. Equal words mean equal text: a small string (up to 15
/// UTF-8 bytes on 64-bit platforms, as every route and method is) keeps its bytes and length in
/// those words; a larger one keeps a pointer to its storage, and the storage the table's copy
/// points at stays alive and unchanged while the table holds that copy (a literal's storage is
/// static). A string that is not found, or that is equal in text but built differently, is
/// folded from its bytes: the words folded are the same either way (`TraceDigestTests`).
/// On a platform whose `String` is not two words, nothing is ever found.
public struct TraceStringTable: Sendable {
    @usableFromInline struct Entry: Sendable {
        @usableFromInline var w0: UInt64
        @usableFromInline var w1: UInt64
        @usableFromInline var key: UInt64
        /// The UTF-8 length; `UInt64.max` in an empty slot (no string is that long).
        @usableFromInline var count: UInt64
    }

    @usableFromInline let slots: [Entry]
    /// `64 - log2(slots.count)`: a slot is the top bits of the words' mix.
    @usableFromInline let shift: UInt64
    /// The strings whose words are in `slots`, held so that their storage stays theirs.
    let strings: [String]

    /// A table of `strings` (duplicates ignored). Each gets its own slot: the table doubles
    /// (up to 4,096 slots) until no two of them share one; a string that still shares a slot
    /// with an earlier one is left out (it is then folded from its bytes).
    public init(_ strings: [String]) {
        var distinct: [String] = []
        for s in strings where !distinct.contains(where: { Self.sameWords($0, s) }) { distinct.append(s) }
        let empty = Entry(w0: 0, w1: 0, key: 0, count: .max)
        var bits: UInt64 = 4
        while (1 << bits) < 4 * distinct.count { bits += 1 }
        var table: [Entry]
        while true {
            table = Array(repeating: empty, count: 1 << bits)
            var clash = false
            for s in distinct {
                guard let (w0, w1) = Self.words(of: s) else { continue }
                let i = Int(truncatingIfNeeded: Self.mix(w0, w1) >> (64 - bits))
                if table[i].count != .max {
                    clash = true
                    if bits < 12 { break }
                    continue
                }
                table[i] = Entry(w0: w0, w1: w1, key: streamKey(s), count: UInt64(s.utf8.count))
            }
            if !clash || bits >= 12 { break }
            bits += 1
        }
        slots = table
        shift = 64 - bits
        self.strings = distinct
    }

    /// The two words of `s`'s value, or nil where a `String` is not two words.
    @inlinable @inline(__always) static func words(of s: String) -> (UInt64, UInt64)? {
        guard MemoryLayout<String>.size == 16 else { return nil }
        return unsafeBitCast(s, to: (UInt64, UInt64).self)
    }

    static func sameWords(_ a: String, _ b: String) -> Bool {
        guard let x = words(of: a), let y = words(of: b) else { return a == b }
        return x == y
    }

    @inlinable @inline(__always) static func mix(_ w0: UInt64, _ w1: UInt64) -> UInt64 {
        (w0 ^ (w1 &* 0x9E37_79B9_7F4A_7C15)) &* 0xBF58_476D_1CE4_E5B9
    }

    /// `s`'s FNV-1a key and UTF-8 length if `s` is (in its words) one of the table's strings.
    @inlinable @inline(__always) public func lookup(_ s: String) -> (key: UInt64, count: UInt64)? {
        guard let (w0, w1) = Self.words(of: s) else { return nil }
        let i = Int(truncatingIfNeeded: Self.mix(w0, w1) >> shift)
        let e = slots[i]
        guard e.w0 == w0 && e.w1 == w1 && e.count != .max else { return nil }
        return (e.key, e.count)
    }
}
