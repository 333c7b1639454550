/// Fixed-size byte strings held inline, the storage of `Digest32`, `PublicKey` and `Signature`.
///
/// These values are the keys of the store's node and replay tables and travel in every signed
/// request, so they must cost what 32 or 64 bytes cost: no heap buffer, no reference count,
/// equality and hashing over a few machine words. The bytes lie in memory in their own order
/// (the lanes are loaded from memory, not numbers), so `withUnsafeBytes` hands C the exact bytes
/// to sign or verify; ordering byte-swaps each lane from big-endian so that `<` is the unsigned
/// lexicographic order of the bytes on every platform.

/// What `Bytes32` and `Bytes64` share: a fixed count of bytes reachable in place; copying in
/// and out is written once here, on top of each type's own lane storage.
public protocol InlineBytes: Sendable {
    /// How many bytes the value holds.
    static var byteCount: Int { get }
    /// All zero bytes.
    init()
    /// The bytes, in order, for the duration of `body`.
    func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R
    /// The bytes, writable, for the duration of `body`.
    mutating func withUnsafeMutableBytes<R, E: Error>(_ body: (UnsafeMutableRawBufferPointer) throws(E) -> R) throws(E) -> R
}

extension InlineBytes {
    /// Copies exactly `byteCount` bytes; `nil` for any other count.
    @inlinable public init?(_ bytes: [UInt8]) {
        guard bytes.count == Self.byteCount else { return nil }
        self.init()
        bytes.withUnsafeBytes { source in withUnsafeMutableBytes { $0.copyMemory(from: source) } }
    }

    /// Copies exactly `byteCount` bytes from `source`; `nil` for any other count.
    @inlinable public init?(copying source: UnsafeRawBufferPointer) {
        guard source.count == Self.byteCount else { return nil }
        self.init()
        withUnsafeMutableBytes { $0.copyMemory(from: source) }
    }

    /// A copy as an array (for code that is not on a hot path).
    public var array: [UInt8] { withUnsafeBytes { Array($0) } }
}

/// 32 bytes inline (four 64-bit lanes, each holding eight consecutive bytes in memory order).
public struct Bytes32: InlineBytes, Hashable, Comparable {
    @usableFromInline var lanes: (UInt64, UInt64, UInt64, UInt64)

    /// Thirty-two zero bytes.
    @inlinable public init() { lanes = (0, 0, 0, 0) }

    public static var byteCount: Int { 32 }

    /// The bytes, in order, for the duration of `body`.
    @inlinable public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try Swift.withUnsafeBytes(of: lanes, body)
    }

    /// The bytes, writable, for the duration of `body`.
    @inlinable public mutating func withUnsafeMutableBytes<R, E: Error>(_ body: (UnsafeMutableRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try Swift.withUnsafeMutableBytes(of: &lanes, body)
    }

    @inlinable public static func == (a: Bytes32, b: Bytes32) -> Bool {
        // Non-short-circuit: one branch, not four.
        (a.lanes.0 ^ b.lanes.0) | (a.lanes.1 ^ b.lanes.1) | (a.lanes.2 ^ b.lanes.2) | (a.lanes.3 ^ b.lanes.3) == 0
    }

    /// Four words, not one `combine` per byte. Swift's per-process seed keeps the order of
    /// tables hashed this way out of behaviour (they are never iterated where it matters).
    @inlinable public func hash(into hasher: inout Hasher) {
        hasher.combine(lanes.0)
        hasher.combine(lanes.1)
        hasher.combine(lanes.2)
        hasher.combine(lanes.3)
    }

    /// Unsigned lexicographic order of the bytes (which is also the order of their hex).
    @inlinable public static func < (a: Bytes32, b: Bytes32) -> Bool {
        if a.lanes.0 != b.lanes.0 { return UInt64(bigEndian: a.lanes.0) < UInt64(bigEndian: b.lanes.0) }
        if a.lanes.1 != b.lanes.1 { return UInt64(bigEndian: a.lanes.1) < UInt64(bigEndian: b.lanes.1) }
        if a.lanes.2 != b.lanes.2 { return UInt64(bigEndian: a.lanes.2) < UInt64(bigEndian: b.lanes.2) }
        return UInt64(bigEndian: a.lanes.3) < UInt64(bigEndian: b.lanes.3)
    }
}

/// 64 bytes inline (eight 64-bit lanes in memory order), the size of a detached signature.
public struct Bytes64: InlineBytes, Hashable, Comparable {
    @usableFromInline var lanes: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64)

    /// Sixty-four zero bytes.
    @inlinable public init() { lanes = (0, 0, 0, 0, 0, 0, 0, 0) }

    public static var byteCount: Int { 64 }

    /// The bytes, in order, for the duration of `body`.
    @inlinable public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try Swift.withUnsafeBytes(of: lanes, body)
    }

    /// The bytes, writable, for the duration of `body`.
    @inlinable public mutating func withUnsafeMutableBytes<R, E: Error>(_ body: (UnsafeMutableRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try Swift.withUnsafeMutableBytes(of: &lanes, body)
    }

    /// Lane `i` (0..<8) as loaded from memory.
    @inlinable func lane(_ i: Int) -> UInt64 {
        withUnsafeBytes { $0.loadUnaligned(fromByteOffset: i &* 8, as: UInt64.self) }
    }

    @inlinable public static func == (a: Bytes64, b: Bytes64) -> Bool {
        let x = (a.lanes.0 ^ b.lanes.0) | (a.lanes.1 ^ b.lanes.1) | (a.lanes.2 ^ b.lanes.2) | (a.lanes.3 ^ b.lanes.3)
        let y = (a.lanes.4 ^ b.lanes.4) | (a.lanes.5 ^ b.lanes.5) | (a.lanes.6 ^ b.lanes.6) | (a.lanes.7 ^ b.lanes.7)
        return x | y == 0
    }

    /// Eight words, not one `combine` per byte (see `Bytes32.hash(into:)`).
    @inlinable public func hash(into hasher: inout Hasher) {
        hasher.combine(lanes.0)
        hasher.combine(lanes.1)
        hasher.combine(lanes.2)
        hasher.combine(lanes.3)
        hasher.combine(lanes.4)
        hasher.combine(lanes.5)
        hasher.combine(lanes.6)
        hasher.combine(lanes.7)
    }

    /// Unsigned lexicographic order of the bytes.
    @inlinable public static func < (a: Bytes64, b: Bytes64) -> Bool {
        for i in 0..<8 {
            let x = a.lane(i), y = b.lane(i)
            if x != y { return UInt64(bigEndian: x) < UInt64(bigEndian: y) }
        }
        return false
    }
}
