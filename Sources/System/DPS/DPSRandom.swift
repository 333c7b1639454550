/// The DPS model's private random stream: xoshiro256** seeded through SplitMix64.
///
/// Written out here (rather than using the standard library's generators or `random(in:)`)
/// because its exact output is part of the contract: every node, on every platform and Swift
/// version, must produce the same damage for the same (config, iteration index), or chunk results
/// would not aggregate to the all-at-once result. One stream per iteration, seeded from the
/// iteration's global index alone, is what makes chunk boundaries invisible.
struct DPSRandom {
    private var s0, s1, s2, s3: UInt64

    /// The stream of the iteration with global index `iteration` (= seed offset + local index).
    init(iteration: Int64) {
        var sm = Seeder(state: UInt64(bitPattern: iteration) ^ 0x5D9A_3C61_E4B7_0F28)
        s0 = sm.next()
        s1 = sm.next()
        s2 = sm.next()
        s3 = sm.next()
    }

    /// xoshiro256** (Blackman, Vigna 2018). Masking shifts with literal counts keep it cheap in
    /// debug builds too, where the generic shift operators are real calls.
    @inline(__always)
    mutating func next() -> UInt64 {
        let x = s1 &* 5
        let result = ((x &<< 7) | (x &>> 57)) &* 9
        let t = s1 &<< 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = (s3 &<< 45) | (s3 &>> 19)
        return result
    }

    /// Uniform in `0..<bound` (bound > 0), unbiased: Lemire's multiply-and-reject.
    @inline(__always)
    mutating func next(below bound: UInt64) -> UInt64 {
        var product = next().multipliedFullWidth(by: bound)
        if product.low < bound {
            let threshold = (0 &- bound) % bound
            while product.low < threshold { product = next().multipliedFullWidth(by: bound) }
        }
        return product.high
    }

    /// 53 uniform bits, for comparing against a probability scaled by 2^53.
    @inline(__always)
    mutating func next53() -> UInt64 { next() &>> 11 }
}

extension DPSRandom {
    /// SplitMix64 (Steele, Lea, Flood 2014): turns consecutive or similar seeds into well-mixed,
    /// independent-looking xoshiro states. Nested so it cannot clash with other streams' types.
    fileprivate struct Seeder {
        var state: UInt64

        mutating func next() -> UInt64 {
            state &+= SplitMix64.gamma
            return SplitMix64.finalize(state)
        }
    }
}
