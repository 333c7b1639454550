/// A Bloom filter of one Discord guild's member ids, used to answer "is this node's owner a
/// member of the job's guild?" (`access_type = 'discord'`) without storing member lists.
///
/// Bit-compatible with the TypeScript and Rust filters, so filters can be built on one side and
/// probed on another. The format, which must not change:
/// - a member id is hashed as its decimal string (UTF-8, no sign, no leading zeros):
///   `d = SHA-256(id)`; `h1`, `h2` = bytes `0..<8` and `8..<16` of `d` as little-endian `UInt64`;
/// - probe `i` (`0..<k`) sets bit `(h1 &+ i &* h2) mod m` (64-bit wrapping arithmetic);
/// - bit `p` is bit `p % 8` (least significant first) of byte `p / 8`;
/// - sizing for `n = max(memberCount, 1)` and `p = 0.001`:
///   `m = ceil(−n·ln p / (ln 2)²)` rounded up to whole bytes, `k = max(1, round(m / n · ln 2))`;
/// - serialized as the raw bytes (base64 in text). `k` is not stored: the reader recomputes it
///   from the member count the filter was *sized* for, which therefore travels with the bytes.
///
/// Adding a member inserts into the existing filter (its size and `k` stay fixed, so the false
/// positive rate creeps up as it fills); removing one requires a rebuild, since Bloom filters
/// cannot forget (`rebuilt(members:hasher:)`).
public struct GuildBloomFilter: Sendable, Equatable, CustomStringConvertible {
    /// Design false-positive probability.
    public static let falsePositiveRate = 0.001

    /// ln(0.001) and ln 2 as the correctly rounded doubles (what `Math.log` / `f64::ln` return),
    /// written out so that sizing does not depend on the platform's libm.
    static let lnFalsePositiveRate = -6.907755278982137
    static let ln2 = 0.6931471805599453

    /// The member count the filter was sized for (before the `max(_, 1)`); must accompany the
    /// serialized bytes because `k` is recomputed from it.
    public let sizingMemberCount: Int
    /// k: number of bit positions per member.
    public let hashCount: Int
    /// The filter bits, least significant bit first within each byte.
    public private(set) var bytes: [UInt8]
    private let hasher: any SHA256Hashing

    // MARK: Sizing

    /// `m` before rounding to bytes: `ceil(−n·ln p / (ln 2)²)` with `n = max(memberCount, 1)`.
    public static func optimalBitCount(forMembers memberCount: Int) -> Int {
        let n = Double(max(memberCount, 1))
        return Int((-n * lnFalsePositiveRate / (ln2 * ln2)).rounded(.up))
    }

    /// Number of bytes of a filter sized for `memberCount` members.
    public static func byteCount(forMembers memberCount: Int) -> Int {
        (optimalBitCount(forMembers: memberCount) + 7) / 8
    }

    /// `m`: the filter size in bits, always a multiple of 8.
    public static func bitCount(forMembers memberCount: Int) -> Int {
        byteCount(forMembers: memberCount) * 8
    }

    /// `k = max(1, round(m / n · ln 2))` for the byte-rounded `m` (round half away from zero,
    /// like `Math.round` and `f64::round` for positive values).
    public static func hashCount(forMembers memberCount: Int) -> Int {
        let n = Double(max(memberCount, 1))
        let m = Double(bitCount(forMembers: memberCount))
        return max(1, Int((m / n * ln2).rounded()))
    }

    // MARK: Construction

    /// An empty filter sized for `capacity` members.
    public init(capacity: Int, hasher: some SHA256Hashing) {
        self.sizingMemberCount = max(capacity, 0)
        self.hashCount = Self.hashCount(forMembers: capacity)
        self.bytes = [UInt8](repeating: 0, count: Self.byteCount(forMembers: capacity))
        self.hasher = hasher
    }

    /// A filter sized for and containing `members`. Pass distinct ids: the size is computed
    /// from `members.count`, as the other implementations do.
    public init(members: [UInt64], hasher: some SHA256Hashing) {
        self.init(capacity: members.count, hasher: hasher)
        for member in members { insert(member) }
    }

    /// A filter from member ids already in decimal string form (see `insert(memberID:)`).
    public init(memberIDs: [String], hasher: some SHA256Hashing) {
        self.init(capacity: memberIDs.count, hasher: hasher)
        for id in memberIDs { insert(memberID: id) }
    }

    /// Reads serialized bytes of a filter that was sized for `memberCount` members. Returns `nil`
    /// if the byte count does not match that sizing: `k` would then be recomputed wrongly and
    /// members would be reported absent, so a mismatch is refused rather than guessed at.
    public init?(bytes: [UInt8], memberCount: Int, hasher: some SHA256Hashing) {
        guard memberCount >= 0, bytes.count == Self.byteCount(forMembers: memberCount) else { return nil }
        self.sizingMemberCount = memberCount
        self.hashCount = Self.hashCount(forMembers: memberCount)
        self.bytes = bytes
        self.hasher = hasher
    }

    /// Reads the base64 text form (strict standard base64, see `Base64.decode`).
    public init?(base64: String, memberCount: Int, hasher: some SHA256Hashing) {
        guard let decoded = Base64.decode(base64) else { return nil }
        self.init(bytes: decoded, memberCount: memberCount, hasher: hasher)
    }

    /// A fresh filter for the current member list: the only way to remove members.
    public static func rebuilt(members: [UInt64], hasher: some SHA256Hashing) -> GuildBloomFilter {
        GuildBloomFilter(members: members, hasher: hasher)
    }

    // MARK: Use

    /// `m`: size in bits.
    public var bitCount: Int { bytes.count * 8 }

    /// The wire form: the raw filter bytes.
    public var serialized: [UInt8] { bytes }

    /// The text wire form: standard padded base64 of `serialized`.
    public var base64: String { Base64.encode(bytes) }

    public mutating func insert(_ member: UInt64) {
        insert(memberID: String(member))
    }

    /// Inserts an id given as text. It is hashed verbatim, so it must be the canonical decimal
    /// spelling (`"0042"` and `"42"` are different members to every implementation).
    public mutating func insert(memberID: String) {
        for position in Self.positions(of: memberID, bitCount: bitCount, hashCount: hashCount, hasher: hasher) {
            bytes[position / 8] |= 1 << UInt8(position % 8)
        }
    }

    /// `false` means certainly not a member; `true` means a member or (with probability about
    /// `falsePositiveRate` at design load) a false positive.
    public func mightContain(_ member: UInt64) -> Bool {
        mightContain(memberID: String(member))
    }

    public func mightContain(memberID: String) -> Bool {
        Self.positions(of: memberID, bitCount: bitCount, hashCount: hashCount, hasher: hasher)
            .allSatisfy { bytes[$0 / 8] & (1 << UInt8($0 % 8)) != 0 }
    }

    /// The `k` bit positions of `memberID` in a filter of `bitCount` bits (see the type's
    /// documentation for the formula).
    public static func positions(
        of memberID: String, bitCount: Int, hashCount: Int, hasher: some SHA256Hashing
    ) -> [Int] {
        let digest = hasher.sha256(Array(memberID.utf8)).bytes
        var h1: UInt64 = 0
        var h2: UInt64 = 0
        for index in (0..<8).reversed() {
            h1 = h1 << 8 | UInt64(digest[index])
            h2 = h2 << 8 | UInt64(digest[8 + index])
        }
        let m = UInt64(bitCount)
        return (0..<hashCount).map { i in Int((h1 &+ UInt64(i) &* h2) % m) }
    }

    public static func == (lhs: GuildBloomFilter, rhs: GuildBloomFilter) -> Bool {
        lhs.sizingMemberCount == rhs.sizingMemberCount && lhs.hashCount == rhs.hashCount && lhs.bytes == rhs.bytes
    }

    public var description: String {
        "GuildBloomFilter(members: \(sizingMemberCount), m: \(bitCount), k: \(hashCount))"
    }
}
