import Foundation
import Testing
import Engine

/// `PortableMath` against references that do not come from it: the correctly rounded values at
/// chosen points (computed with mpmath at 300 bits and rounded to nearest, written here as bit
/// patterns), and the platform's libm over many points (which it must agree with to a few
/// ulps, not bit for bit: that is the point of having our own).
///
/// fdlibm is accurate to within one ulp, not correctly rounded: at four of the points it rounds
/// the other way. There the expected bits are fdlibm's, from a separate transcription of the C
/// sources (e_log.c, e_exp.c) in Python run on the same inputs, and still one ulp from the
/// correctly rounded value.
@Suite struct PortableMathTests {
    static func ulpDistance(_ a: Double, _ b: Double) -> UInt64 {
        if a == b { return 0 }
        // Map the doubles onto a monotonic integer line.
        func key(_ x: Double) -> Int64 {
            let bits = Int64(bitPattern: x.bitPattern)
            return bits < 0 ? Int64.min &- bits : bits
        }
        let d = key(a) &- key(b)
        return d.magnitude
    }

    /// Correctly rounded ln(x).
    static let logReference: [(Double, UInt64)] = [
        (0.5, 0xBFE6_2E42_FEFA_39EF), (2.0, 0x3FE6_2E42_FEFA_39EF), (3.0, 0x3FF1_93EA_7AAD_030B),
        (10.0, 0x4002_6BB1_BBB5_5516), (0.1, 0xC002_6BB1_BBB5_5515), (1e-300, 0xC085_9634_47F8_7FB5),
        (1e300, 0x4085_9634_47F8_7FB5), (0x1p-1074, 0xC087_4385_446D_71C3), (1.0000001, 0x3E7A_D7F2_847B_6492),
        (0.9999999, 0xBE7A_D7F2_B104_9B9F), (1 - 0x1p-53, 0xBCA0_0000_0000_0000), (0x1p-53, 0xC042_5E4F_7B27_37FA),
        (1.38, 0x3FD4_9D04_1BE0_CE2F), (1.42, 0x3FD6_7129_84EC_8F15), (0.7, 0xBFD6_D3C3_24E1_3F50),
        (1.4142135623730951, 0x3FD6_2E42_FEFA_39F0), (123456.789, 0x4027_7281_CAD8_A844), (0.001, 0xC01B_A18A_998F_FFA0),
    ]

    /// Correctly rounded e^x.
    static let expReference: [(Double, UInt64)] = [
        (1.0, 0x4005_BF0A_8B14_5769), (-1.0, 0x3FD7_8B56_362C_EF38), (0.5, 0x3FFA_6129_8E1E_069C),
        (-0.5, 0x3FE3_68B2_FC6F_960A), (1e-10, 0x3FF0_0000_0006_DF38), (2.0, 0x401D_8E64_B8D4_DDAE),
        (10.0, 0x40D5_829D_CF95_0560), (-10.0, 0x3F07_CD79_B564_7C9B), (100.0, 0x48F3_494A_9B17_1BF5),
        (-100.0, 0x36EA_8C1F_14E2_AF5D), (700.0, 0x7F0D_945D_F4F8_EC8E), (-700.0, 0x00D1_4F2B_0FB9_307F),
        (-740.0, 0x0000_0000_0000_0055), (0.6931471805599453, 0x4000_0000_0000_0000), (3.7, 0x4044_3941_44EE_EC81),
        (-0.3, 0x3FE7_B4C8_69C3_7C05),
    ]

    /// Correctly rounded cos(2πu), u exact.
    static let cosReference: [(Double, UInt64)] = [
        (0.0, 0x3FF0_0000_0000_0000), (0.125, 0x3FE6_A09E_667F_3BCD), (0.5, 0xBFF0_0000_0000_0000),
        (0.1, 0x3FE9_E377_9B97_F4A8), (0.3, 0xBFD3_C6EF_372F_E94E), (0.9, 0x3FE9_E377_9B97_F4A8),
        (1.0 / 3.0, 0xBFDF_FFFF_FFFF_FFFE), (2.0 / 3.0, 0xBFE0_0000_0000_0002), (0x1p-30, 0x3FF0_0000_0000_0000),
        (0.2499999, 0x3EA5_1537_0F9C_8FD9), (0.7500001, 0x3EA5_1537_0F6A_4BE3), (0.123456789, 0x3FE6_D883_2E59_81EC),
        (0.999, 0x3FEF_FFD6_9AA0_B99D),
    ]

    /// Points where fdlibm's result is one ulp from the correctly rounded one, with its bits.
    static let fdlibmLog: [Double: UInt64] = [3.0: 0x3FF1_93EA_7AAD_030A, 1.38: 0x3FD4_9D04_1BE0_CE30]
    static let fdlibmExp: [Double: UInt64] = [1.0: 0x4005_BF0A_8B14_576A, -10.0: 0x3F07_CD79_B564_7C9A]

    @Test func logMatchesCorrectlyRoundedValues() {
        for (x, correct) in Self.logReference {
            let got = PortableMath.log(x)
            let bits = Self.fdlibmLog[x] ?? correct
            #expect(Self.ulpDistance(got, Double(bitPattern: correct)) <= 1)
            #expect(got.bitPattern == bits, "log(\(x)) = \(got) (0x\(String(got.bitPattern, radix: 16))), want \(Double(bitPattern: bits))")
        }
    }

    @Test func expMatchesCorrectlyRoundedValues() {
        for (x, correct) in Self.expReference {
            let got = PortableMath.exp(x)
            let bits = Self.fdlibmExp[x] ?? correct
            #expect(Self.ulpDistance(got, Double(bitPattern: correct)) <= 1)
            #expect(got.bitPattern == bits, "exp(\(x)) = \(got) (0x\(String(got.bitPattern, radix: 16))), want \(Double(bitPattern: bits))")
        }
    }

    @Test func cosTwoPiMatchesCorrectlyRoundedValues() {
        for (u, bits) in Self.cosReference {
            let got = PortableMath.cosTwoPi(u)
            #expect(got.bitPattern == bits, "cos(2π·\(u)) = \(got) (0x\(String(got.bitPattern, radix: 16))), want \(Double(bitPattern: bits))")
        }
        // Exact zeros at the quarter turns, and periodicity by exact reduction.
        #expect(PortableMath.cosTwoPi(0.25) == 0)
        #expect(PortableMath.cosTwoPi(0.75) == 0)
        #expect(PortableMath.cosTwoPi(1.125) == PortableMath.cosTwoPi(0.125))
        #expect(PortableMath.cosTwoPi(-0.125) == PortableMath.cosTwoPi(0.125))
    }

    @Test func specialValues() {
        #expect(PortableMath.log(1) == 0)
        #expect(PortableMath.log(0) == -.infinity)
        #expect(PortableMath.log(-1).isNaN)
        #expect(PortableMath.log(.nan).isNaN)
        #expect(PortableMath.log(.infinity) == .infinity)
        #expect(PortableMath.exp(0) == 1)
        #expect(PortableMath.exp(710) == .infinity)
        #expect(PortableMath.exp(-746) == 0)
        #expect(PortableMath.exp(.nan).isNaN)
        #expect(PortableMath.exp(-.infinity) == 0)
        #expect(PortableMath.cosTwoPi(.infinity).isNaN)
    }

    /// Many points where the draws evaluate them, and beyond: within 2 ulps of glibc's
    /// (each is within one of the true value).
    @Test func logAndExpAgreeWithLibmOverManyPoints() {
        var g = Xoshiro256StarStar(seed: 2024)
        var worstLog: UInt64 = 0, worstExp: UInt64 = 0
        for i in 0..<200_000 {
            // Unit draws (what `exponential` and Box–Muller take), then doubles of any exponent.
            let x = i % 2 == 0 ? 1 - g.nextUnit() : Double(sign: .plus, exponent: Int(g.nextBelow(2_000)) - 1_000, significand: 1 + g.nextUnit())
            worstLog = max(worstLog, Self.ulpDistance(PortableMath.log(x), Foundation.log(x)))
            let y = g.uniform(-745, 709.7)
            worstExp = max(worstExp, Self.ulpDistance(PortableMath.exp(y), Foundation.exp(y)))
        }
        #expect(worstLog <= 2, "log differs from libm by \(worstLog) ulps")
        #expect(worstExp <= 2, "exp differs from libm by \(worstExp) ulps")
    }

    /// libm's cos(2π·u) carries the rounding of 2π·u (up to 2π·2⁻⁵³ absolute), so the
    /// comparison is absolute, a few units of 2⁻⁵³.
    @Test func cosTwoPiAgreesWithLibmOverManyPoints() {
        var g = Xoshiro256StarStar(seed: 2025)
        var worst = 0.0
        for _ in 0..<200_000 {
            let u = g.nextUnit()
            worst = max(worst, abs(PortableMath.cosTwoPi(u) - Foundation.cos(2 * Double.pi * u)))
        }
        #expect(worst <= 8 * 0x1p-53, "cos(2πu) differs from libm by \(worst)")
    }

    /// The draws that use them still have their distributions' shape (the mean and variance
    /// checks are in RandomTests); here: the normal's symmetric tails and the exponential's
    /// largest value (u = 1 − 2⁻⁵³ gives −ln(2⁻⁵³) = 36.7).
    @Test func drawsStayFinite() {
        var g = Xoshiro256StarStar(seed: 3)
        for _ in 0..<100_000 {
            #expect(g.standardNormal().isFinite)
            let e = g.exponential(mean: 1)
            #expect(e >= 0 && e <= 36.8)
        }
    }
}
