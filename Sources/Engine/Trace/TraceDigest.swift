import CTraceFold

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
    /// `streamKey(s)`, then the UTF-8 length. Inlinable, with the FNV-1a loop (`fnv1a64`) over
    /// the contiguous UTF-8 inlined here: the trace digest folds a request's method and path
    /// per event, and the call into `streamKey` and its closure cost about 100 instructions
    /// a string. The same bytes in the same order: the same value as `streamKey` (which it
    /// falls back to), checked by `TraceDigestTests`.
    @inlinable public mutating func fold(_ s: String) {
        let utf8 = s.utf8
        let key = utf8.withContiguousStorageIfAvailable { fnv1a64($0) } ?? streamKey(s)
        fold(key)
        fold(UInt64(utf8.count))
    }
    /// `fold(s)`, with the words of a string `table` holds taken from the table instead of
    /// computed from the bytes (`TraceStringTable`): the same two words either way. Always
    /// inlined (the bytes' path is a call, `foldBytes`): as its own function it received the
    /// digest through memory, so each call put a store and a reload (a store-forwarding round
    /// trip) on the digest's chain, twice an `api` event.
    @inlinable @inline(__always) public mutating func fold(_ s: String, known table: TraceStringTable) {
        if let e = table.lookup(s) {
            fold(e.key)
            fold(e.count)
        } else {
            foldBytes(s)
        }
    }
    /// `fold(s)`, kept out of line: the path of a string the table does not hold.
    @inline(never) @usableFromInline mutating func foldBytes(_ s: String) { fold(s) }

    /// FNV-1a of the bytes, then their count (request and reply bodies). From
    /// `vectorMinimum` bytes on, where the CPU has AVX-512, the FNV-1a comes from
    /// `ctracefold_fnv1a` (the same value without the byte loop's serial chain of 4 cycles a byte:
    /// a heartbeat answer's 111 bytes took about 100 ns, now about 53 ns); below that, or without
    /// AVX-512 (under valgrind too), from a loop. `TraceDigestTests` compares the two.
    public mutating func fold(_ bytes: [UInt8]) {
        fold(Self.fnv1a(bytes))
        fold(UInt64(bytes.count))
    }

    /// The two words `fold(_: [UInt8])` folds for some bytes, computed apart from any digest.
    public struct ByteWords: Sendable {
        public let key: UInt64
        public let count: UInt64
        public init(_ bytes: borrowing [UInt8]) {
            key = TraceDigest.fnv1a(bytes)
            count = UInt64(bytes.count)
        }
    }

    /// `fold(bytes)` for `words = ByteWords(bytes)`. Why apart: the FNV-1a does not depend on
    /// the digest, so an event that folds a body after other words (`WorldEvent.fold`) computes
    /// the body's words first, and the core overlaps that chain with the digest's own chain of
    /// those words instead of running one after the other. Always inlined, for the reason
    /// `fold(_:known:)` is.
    @inlinable @inline(__always) public mutating func fold(_ words: ByteWords) {
        fold(words.key)
        fold(words.count)
    }

    /// FNV-1a 64 of `bytes`: the vector path or the loop (`fold(_: [UInt8])`). From
    /// `vectorMinimum` bytes on, `ctracefold_fnv1a` chooses (the vector path where the CPU has
    /// it, its own byte loop elsewhere: the same value); asking the CPU's answer from a lazy
    /// Swift global here first was a call into `swift_once` for every such body.
    @inline(__always)
    static func fnv1a(_ bytes: [UInt8]) -> UInt64 {
        if bytes.count >= vectorMinimum {
            return bytes.withUnsafeBufferPointer { ctracefold_fnv1a(fnvBasis, $0.baseAddress!, $0.count) }
        }
        return fnv1a64(bytes)
    }

    static let fnvBasis: UInt64 = 0xCBF2_9CE4_8422_2325
    /// Below this many bytes the loop is faster: the vector path takes about 50 ns for up to 128
    /// bytes, the loop about 0.9 ns a byte.
    static let vectorMinimum = 64

    /// 16 hex digits, the form printed in run summaries and trace files.
    public var description: String {
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
