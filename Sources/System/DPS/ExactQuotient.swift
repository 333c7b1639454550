/// A 256-bit unsigned integer with just the operations the exact statistics need.
///
/// `n·Σx² − (Σx)²` can exceed 128 bits long before either sum does, and the whole point of the
/// exact accumulators is that no intermediate is ever rounded; so the numerators live here and
/// only the final quotient becomes a `Double`.
struct ExactUInt256: Comparable, Sendable {
    var high: UInt128
    var low: UInt128

    static let zero = ExactUInt256(high: 0, low: 0)

    init(high: UInt128, low: UInt128) {
        self.high = high
        self.low = low
    }

    init(_ value: UInt128) { self.init(high: 0, low: value) }

    /// The full 256-bit product; never overflows.
    static func product(_ a: UInt128, _ b: UInt128) -> ExactUInt256 {
        let p = a.multipliedFullWidth(by: b)
        return ExactUInt256(high: p.high, low: p.low)
    }

    var isZero: Bool { high == 0 && low == 0 }

    /// Number of significant bits (0 for zero).
    var bitLength: Int {
        high != 0 ? 256 - high.leadingZeroBitCount : 128 - low.leadingZeroBitCount
    }

    func bit(_ i: Int) -> Bool {
        i >= 128 ? (high >> UInt128(i - 128)) & 1 == 1 : (low >> UInt128(i)) & 1 == 1
    }

    /// `self << k`; the caller guarantees no significant bit is shifted out.
    func shiftedLeft(_ k: Int) -> ExactUInt256 {
        precondition(k >= 0 && bitLength + k <= 256, "ExactUInt256 shift overflow")
        if k == 0 { return self }
        if k >= 128 { return ExactUInt256(high: low << UInt128(k - 128), low: 0) }
        return ExactUInt256(high: (high << UInt128(k)) | (low >> UInt128(128 - k)), low: low << UInt128(k))
    }

    /// `self - other`; the caller guarantees `self >= other`.
    static func - (a: ExactUInt256, b: ExactUInt256) -> ExactUInt256 {
        precondition(a >= b, "ExactUInt256 subtraction underflow")
        let (low, borrow) = a.low.subtractingReportingOverflow(b.low)
        return ExactUInt256(high: a.high - b.high - (borrow ? 1 : 0), low: low)
    }

    static func < (a: ExactUInt256, b: ExactUInt256) -> Bool {
        a.high != b.high ? a.high < b.high : a.low < b.low
    }

    /// `numerator / denominator` rounded once, to nearest (ties to even), as a `Double`.
    ///
    /// Scales the operands so the integer quotient has 56–57 bits, divides exactly, folds a
    /// non-zero remainder into a sticky bit, and lets the (correctly rounded) `UInt64 → Double`
    /// conversion do the single rounding; the power-of-two rescale is exact. Both operands must
    /// be below 2^200 after scaling, which the callers' bounds guarantee by a wide margin.
    static func roundedQuotient(_ numerator: ExactUInt256, _ denominator: ExactUInt256) -> Double {
        precondition(!denominator.isZero, "division by zero")
        if numerator.isZero { return 0 }
        let (a, b, k) = scaled(numerator, denominator)
        if a.high == 0 && b.high == 0 {
            // Both fit 128 bits (every statistic of a chunk or job within `SimLimits`): the
            // machine's 128-bit division gives the same quotient and remainder as the long
            // division of `bitwiseQuotient`, in a few instructions instead of ~60 shifts.
            let (q, r) = a.low.quotientAndRemainder(dividingBy: b.low)
            return Double(sign: .plus, exponent: -k, significand: Double(UInt64(q) | (r == 0 ? 0 : 1)))
        }
        return bitwiseQuotient(a, b, k)
    }

    /// The operands scaled so that `a / b` is in [2^55, 2^57): `a` = numerator·2^k, `b` =
    /// denominator·2^-k (one of the two shifts is zero).
    static func scaled(_ numerator: ExactUInt256, _ denominator: ExactUInt256) -> (a: ExactUInt256, b: ExactUInt256, k: Int) {
        precondition(!denominator.isZero, "division by zero")
        let k = 56 - (numerator.bitLength - denominator.bitLength)
        let a = k > 0 ? numerator.shiftedLeft(k) : numerator
        let b = k < 0 ? denominator.shiftedLeft(-k) : denominator
        precondition(b.bitLength < 255, "ExactUInt256 quotient operands too large")
        return (a, b, k)
    }

    /// `roundedQuotient` by restoring long division on the scaled operands `a` = numerator·2^k
    /// and `b` (kept as the reference its fast path is tested against).
    static func bitwiseQuotient(_ a: ExactUInt256, _ b: ExactUInt256, _ k: Int) -> Double {
        // Restoring long division, one bit of `a` at a time; `a / b` is in [2^55, 2^57).
        var quotient: UInt64 = 0
        var remainder = ExactUInt256.zero
        for i in stride(from: a.bitLength - 1, through: 0, by: -1) {
            remainder = remainder.shiftedLeft(1)
            if a.bit(i) { remainder.low |= 1 }
            quotient <<= 1
            if remainder >= b {
                remainder = remainder - b
                quotient |= 1
            }
        }
        let sticky: UInt64 = remainder.isZero ? 0 : 1
        return Double(sign: .plus, exponent: -k, significand: Double(quotient | sticky))
    }
}
