/// The transcendental functions the random draws need, computed with IEEE-754 basic operations
/// only, so that a seed gives bit-identical draws on every machine and with every build.
///
/// Why not the platform's `log`, `exp` and `cos`: IEEE-754 requires `+ − × ÷`, `sqrt` and fused
/// multiply-add to be correctly rounded, but not the transcendental functions; glibc, Apple's
/// libm and musl each return their own last bit, and glibc changed its `exp` and `log` between
/// versions. A draw that differs in its last bit can round to a different integer nanosecond and
/// fork a trace. These are the fdlibm algorithms (Sun Microsystems, 1993; freely distributable,
/// the same as musl's and FreeBSD's), evaluated in a fixed order:
/// - Swift does not contract `a * b + c` into a fused multiply-add (no `fp-contract`), so every
///   expression below rounds exactly as written; the one fused multiply-add is explicit
///   (`addingProduct`), and IEEE-754 specifies it bit for bit as well.
/// - Exponent and significand are split and joined with exact operations (`exponent`,
///   `significandBitPattern`, `Double(sign:exponent:significand:)`), never with `pow`.
/// Each result is within one ulp of the true value (tests pin values at chosen points against
/// correctly rounded references and compare with the platform's over many points).
public enum PortableMath {
    // MARK: log

    @usableFromInline static let ln2Hi = 6.93147180369123816490e-01  // 0x3FE62E42_FEE00000
    @usableFromInline static let ln2Lo = 1.90821492927058770002e-10  // 0x3DEA39EF_35793C76
    @usableFromInline static let lg1 = 6.666666666666735130e-01
    @usableFromInline static let lg2 = 3.999999999940941908e-01
    @usableFromInline static let lg3 = 2.857142874366239149e-01
    @usableFromInline static let lg4 = 2.222219843214978396e-01
    @usableFromInline static let lg5 = 1.818357216161805012e-01
    @usableFromInline static let lg6 = 1.531383769920937332e-01
    @usableFromInline static let lg7 = 1.479819860511658591e-01

    /// The natural logarithm (fdlibm `e_log.c`): `x = 2^k · (1 + f)` with `1 + f` in
    /// [√2/2, √2), then `log(1 + f) = f − f²/2 + s·(f²/2 + R(s²))` with `s = f / (2 + f)` and a
    /// minimax polynomial `R`, and `k · ln 2` added in two parts.
    @inlinable public static func log(_ x: Double) -> Double {
        if x.isNaN || x < 0 { return .nan }
        if x == 0 { return -.infinity }
        if x == .infinity { return x }
        // x = 2^k · m with m in [1, 2), exactly (subnormals included); hx: m's top 20
        // fraction bits, which fdlibm's branches test.
        var k = Int(x.exponent)
        var m = Double(sign: .plus, exponent: 0, significand: x.significand)
        let hx = Int(truncatingIfNeeded: m.significandBitPattern >> 32)
        // Move m into [√2/2, √2) so that f = m − 1 is small either side of 0.
        if hx >= 0x6A09C {
            m = m * 0.5
            k += 1
        }
        let f = m - 1.0
        let dk = Double(k)
        if (0x000F_FFFF & (2 + hx)) < 3 {  // −2^−20 ≤ f < 2^−20
            if f == 0 { return k == 0 ? 0 : dk * ln2Hi + dk * ln2Lo }
            let r = f * f * (0.5 - 0.33333333333333333 * f)
            return k == 0 ? f - r : dk * ln2Hi - ((r - dk * ln2Lo) - f)
        }
        let s = f / (2.0 + f)
        let z = s * s
        let w = z * z
        let t1 = w * (lg2 + w * (lg4 + w * lg6))
        let t2 = z * (lg1 + w * (lg3 + w * (lg5 + w * lg7)))
        let r = t2 + t1
        // fdlibm's choice between the two evaluations: the more accurate one near the ends of
        // f's range (m in [1.38, 1.42] before the halving).
        if hx >= 0x6147A && hx <= 0x6B851 {
            let hfsq = 0.5 * f * f
            return k == 0 ? f - (hfsq - s * (hfsq + r)) : dk * ln2Hi - ((hfsq - (s * (hfsq + r) + dk * ln2Lo)) - f)
        }
        return k == 0 ? f - s * (f - r) : dk * ln2Hi - ((s * (f - r) - dk * ln2Lo) - f)
    }

    // MARK: exp

    @usableFromInline static let invLn2 = 1.44269504088896338700e+00
    @usableFromInline static let p1 = 1.66666666666666019037e-01
    @usableFromInline static let p2 = -2.77777777770155933842e-03
    @usableFromInline static let p3 = 6.61375632143793436117e-05
    @usableFromInline static let p4 = -1.65339022054652515390e-06
    @usableFromInline static let p5 = 4.13813679705723846039e-08

    /// The exponential (fdlibm `e_exp.c`): `x = k · ln 2 + r` with |r| ≤ ln 2 / 2 (ln 2 in two
    /// parts, so `r` is nearly exact), `exp(r)` by a rational approximation, then an exact
    /// scaling by `2^k`.
    @inlinable public static func exp(_ x: Double) -> Double {
        if x.isNaN { return x }
        if x > 7.09782712893383973096e+02 { return .infinity }
        if x < -7.45133219101941108420e+02 { return 0 }
        let ax = abs(x)
        var hi = 0.0, lo = 0.0, k = 0
        var r = x
        if ax > 0.5 * 0.6931471805599453 {
            if ax < 1.5 * 0.6931471805599453 {
                if x > 0 { hi = x - ln2Hi; lo = ln2Lo; k = 1 } else { hi = x + ln2Hi; lo = -ln2Lo; k = -1 }
            } else {
                // Truncation toward zero of invLn2·x ± ½: the nearest integer, as fdlibm does.
                k = Int(invLn2 * x + (x > 0 ? 0.5 : -0.5))
                let t = Double(k)
                hi = x - t * ln2Hi
                lo = t * ln2Lo
            }
            r = hi - lo
        } else if ax < 0x1p-28 {
            return 1.0 + x
        }
        let t = r * r
        let c = r - t * (p1 + t * (p2 + t * (p3 + t * (p4 + t * p5))))
        if k == 0 { return 1.0 - ((r * c) / (c - 2.0) - r) }
        let y = 1.0 - ((lo - (r * c) / (2.0 - c)) - hi)
        return scale(y, k)
    }

    /// y · 2^k, exactly when the result is normal (one rounding when it is subnormal).
    @inlinable static func scale(_ y: Double, _ k: Int) -> Double {
        if k >= -1021 && k <= 1023 { return y * Double(sign: .plus, exponent: k, significand: 1) }
        if k > 1023 { return y * 2.0 * Double(sign: .plus, exponent: k - 1, significand: 1) }
        return y * Double(sign: .plus, exponent: k + 1000, significand: 1) * 0x1p-1000
    }

    // MARK: cos(2πu)

    @usableFromInline static let piOver2Hi = 1.57079632679489655800e+00  // 0x3FF921FB_54442D18
    @usableFromInline static let piOver2Lo = 6.12323399573676603587e-17  // 0x3C91A626_33145C07

    /// cos(2π·u) for a finite `u`: the angle of a Box–Muller draw, whose `u` is a dyadic
    /// rational, so the reduction to a quarter turn is exact: `4u = q + r` with an integer `q`
    /// and |r| ≤ ½, then the fdlibm kernels on θ = r·π/2 (|θ| ≤ π/4), held as a double-double
    /// (`r·π/2` split exactly with one fused multiply-add).
    @inlinable public static func cosTwoPi(_ u: Double) -> Double {
        if !u.isFinite { return .nan }
        let frac = u - u.rounded(.down)  // exact: [0, 1)
        let t = 4.0 * frac  // exact
        let q = t.rounded(.toNearestOrEven)
        let r = t - q  // exact, |r| ≤ ½
        let hi = r * piOver2Hi
        let err = (-hi).addingProduct(r, piOver2Hi)  // r·π/2_hi − hi, exactly
        let lo = err + r * piOver2Lo
        let x = hi + lo
        let y = (hi - x) + lo
        switch Int(q) & 3 {
        case 0: return kernelCos(x, y)
        case 1: return -kernelSin(x, y)
        case 2: return -kernelCos(x, y)
        default: return kernelSin(x, y)
        }
    }

    @usableFromInline static let c1 = 4.16666666666666019037e-02
    @usableFromInline static let c2 = -1.38888888888741095749e-03
    @usableFromInline static let c3 = 2.48015872894767294178e-05
    @usableFromInline static let c4 = -2.75573143513906633035e-07
    @usableFromInline static let c5 = 2.08757232129817482790e-09
    @usableFromInline static let c6 = -1.13596475577881948265e-11

    /// cos(x + y) for |x + y| ≤ π/4 (fdlibm `k_cos.c`, as revised by FreeBSD and musl).
    @inlinable static func kernelCos(_ x: Double, _ y: Double) -> Double {
        let z = x * x
        let w = z * z
        let r = z * (c1 + z * (c2 + z * c3)) + w * w * (c4 + z * (c5 + z * c6))
        let hz = 0.5 * z
        let v = 1.0 - hz
        return v + (((1.0 - v) - hz) + (z * r - x * y))
    }

    @usableFromInline static let s1 = -1.66666666666666324348e-01
    @usableFromInline static let s2 = 8.33333333332248946124e-03
    @usableFromInline static let s3 = -1.98412698298579493134e-04
    @usableFromInline static let s4 = 2.75573137070700676789e-06
    @usableFromInline static let s5 = -2.50507602534068634195e-08
    @usableFromInline static let s6 = 1.58969099521155010221e-10

    /// sin(x + y) for |x + y| ≤ π/4 (fdlibm `k_sin.c`).
    @inlinable static func kernelSin(_ x: Double, _ y: Double) -> Double {
        let z = x * x
        let w = z * z
        let r = s2 + z * (s3 + z * s4) + z * w * (s5 + z * s6)
        let v = z * x
        return x - ((z * (0.5 * y - v * r) - y) - v * s1)
    }
}
