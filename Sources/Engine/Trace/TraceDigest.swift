/// A running 64-bit digest of a run's canonical trace: every delivered event folds in its time,
/// actor, kind, sender and payload. Two runs with equal digests delivered the same events in the
/// same order with the same contents (up to a 2^-64 collision). Fast enough to stay on in every
/// run, unlike a cryptographic hash of the JSON Lines trace.
public struct TraceDigest: Sendable, Equatable, CustomStringConvertible {
    @usableFromInline var _value: UInt64 = 0x6A09_E667_F3BC_C908
    @usableFromInline var _count: UInt64 = 0
    /// The digest so far.
    public var value: UInt64 { _value }
    /// How many words have been folded in.
    public var count: UInt64 { _count }

    public init() {}

    @inlinable public mutating func fold(_ x: UInt64) {
        _value = SplitMix64.mix(_value ^ x) &+ 0x9E37_79B9_7F4A_7C15
        _count &+= 1
    }
    @inlinable public mutating func fold(_ x: Int64) { fold(UInt64(bitPattern: x)) }
    @inlinable public mutating func fold(_ x: Int) { fold(UInt64(bitPattern: Int64(x))) }
    @inlinable public mutating func fold(_ x: Int32) { fold(UInt64(UInt32(bitPattern: x))) }
    @inlinable public mutating func fold(_ x: Bool) { fold(UInt64(x ? 1 : 0)) }
    @inlinable public mutating func fold(_ x: Double) { fold(x.bitPattern) }
    /// `streamKey(s)`, then the UTF-8 length. Inlinable, with the FNV-1a loop over the
    /// contiguous UTF-8 written out here: the trace digest folds a request's method and path
    /// per event, and the call into `streamKey` and its closure cost about 100 instructions
    /// a string. The same bytes in the same order: the same value as `streamKey` (which it
    /// falls back to), checked by `TraceDigestTests`.
    @inlinable public mutating func fold(_ s: String) {
        let utf8 = s.utf8
        let key = utf8.withContiguousStorageIfAvailable { bytes -> UInt64 in
            var h: UInt64 = 0xCBF2_9CE4_8422_2325
            for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
            return h
        } ?? streamKey(s)
        fold(key)
        fold(UInt64(utf8.count))
    }
    /// `fold(s)`, with the words of a string `table` holds taken from the table instead of
    /// computed from the bytes (`TraceStringTable`): the same two words either way.
    @inlinable public mutating func fold(_ s: String, known table: TraceStringTable) {
        if let e = table.lookup(s) {
            fold(e.key)
            fold(e.count)
        } else {
            fold(s)
        }
    }
    public mutating func fold(_ bytes: [UInt8]) {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        fold(h)
        fold(UInt64(bytes.count))
    }

    /// 16 hex digits, the form printed in run summaries and trace files.
    public var description: String {
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
