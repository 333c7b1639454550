/// A 128-bit identifier in UUID form, as the tables' `uuid` primary keys.
///
/// Never `UUID()`: in simulation identifiers come from the injected random source (the embedded
/// store's seeded stream), so the same seed names every row the same way; PostgreSQL generates
/// its own with `gen_random_uuid()`. Ordering is by value, for deterministic tie-breaks.
public struct Identifier: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var high: UInt64
    public var low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// A version-4 UUID drawn from `rng`.
    public static func random<R: RandomNumberGenerator>(using rng: inout R) -> Identifier {
        let h = (rng.next() & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000
        let l = (rng.next() & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000
        return Identifier(high: h, low: l)
    }

    /// Strict 8-4-4-4-12: hyphens exactly at offsets 8, 13, 18 and 23 and hex digits (either
    /// case, as PostgreSQL reads them) everywhere else; nothing else is an identifier.
    public init?(uuidString s: String) {
        let bytes = Array(s.utf8)
        guard bytes.count == 36 else { return nil }
        var hex: [UInt8] = []
        hex.reserveCapacity(32)
        for (offset, c) in bytes.enumerated() {
            let hyphenHere = offset == 8 || offset == 13 || offset == 18 || offset == 23
            if hyphenHere != (c == UInt8(ascii: "-")) { return nil }
            if !hyphenHere { hex.append(c) }
        }
        var v: [UInt64] = [0, 0]
        for (i, c) in hex.enumerated() {
            let d: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = c - UInt8(ascii: "A") + 10
            default: return nil
            }
            v[i / 16] = v[i / 16] << 4 | UInt64(d)
        }
        high = v[0]
        low = v[1]
    }

    /// Lowercase 8-4-4-4-12, as PostgreSQL prints uuid. Written byte by byte into one buffer:
    /// ids are printed into every request body and notification, so this is on the hot path.
    public var uuidString: String {
        let digits: StaticString = "0123456789abcdef"
        return String(unsafeUninitializedCapacity: 36) { buffer in
            digits.withUTF8Buffer { hex in
                var i = 0
                for (word, start) in [(high, 0), (low, 16)] {
                    for nibble in 0..<16 {
                        let position = start + nibble
                        if position == 8 || position == 12 || position == 16 || position == 20 {
                            buffer[i] = UInt8(ascii: "-")
                            i += 1
                        }
                        buffer[i] = hex[Int((word >> UInt64(60 - 4 * nibble)) & 0xF)]
                        i += 1
                    }
                }
            }
            return 36
        }
    }

    public var description: String { uuidString }

    public static func < (a: Identifier, b: Identifier) -> Bool {
        (a.high, a.low) < (b.high, b.low)
    }
}

/// Identifiers typed by what they name, so a job id cannot be passed where a node id belongs.
public struct TypedID<Tag>: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var raw: Identifier
    public init(_ raw: Identifier) { self.raw = raw }
    public init?(uuidString: String) {
        guard let r = Identifier(uuidString: uuidString) else { return nil }
        raw = r
    }
    public var uuidString: String { raw.uuidString }
    public var description: String { raw.uuidString }
    public static func < (a: TypedID, b: TypedID) -> Bool { a.raw < b.raw }
}

public enum JobTag {}
public enum ChunkTag {}
public enum NodeTag {}
public enum UserTag {}
public enum PermissionTag {}

public typealias JobID = TypedID<JobTag>
public typealias ChunkID = TypedID<ChunkTag>
public typealias NodeID = TypedID<NodeTag>
public typealias UserID = TypedID<UserTag>
public typealias PermissionID = TypedID<PermissionTag>
