import Testing

@testable import JobSystem

/// `System`'s one SplitMix64 (the store's id stream, and the finaliser the node's jitter, the
/// DPS seeder, the stand-in signature, the typed wire's digest and the node key index call):
/// the published reference outputs, and the finaliser against the algorithm written out here.
@Suite("SplitMix64")
struct SplitMix64Tests {
    /// The first outputs for seed 1234567 of Vigna's reference `splitmix64.c` (the vector other
    /// implementations test against).
    @Test func theStreamGivesTheReferenceOutputs() {
        var rng = SplitMix64(seed: 1_234_567)
        let outputs = (0..<5).map { _ in rng.next() }
        #expect(outputs == [6_457_827_717_110_365_317, 3_203_168_211_198_807_973, 9_817_491_932_198_370_423,
                            4_593_380_528_125_082_431, 16_408_922_859_458_223_821])
    }

    /// The finaliser as the paper states it (shifts 30, 27, 31; Stafford's Mix13 multipliers).
    static func referenceFinalizer(_ x: UInt64) -> UInt64 {
        var z = x
        z = (z ^ (z >> 30)) &* 13_787_848_793_156_543_929
        z = (z ^ (z >> 27)) &* 10_723_151_780_598_845_931
        return z ^ (z >> 31)
    }

    @Test(arguments: [UInt64(0), 1, 0xDEAD_BEEF, .max])
    func finalizeMixAndNextAgreeWithTheReference(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        var state = seed
        var x = seed
        for _ in 0..<10_000 {
            // Inputs of every shape: the walk below visits sparse and dense words alike.
            x = x &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let probe = x ^ (x >> 17)
            #expect(SplitMix64.finalize(probe) == Self.referenceFinalizer(probe))
            #expect(SplitMix64.mix(probe) == Self.referenceFinalizer(probe &+ 0x9E37_79B9_7F4A_7C15))
            state &+= 0x9E37_79B9_7F4A_7C15
            #expect(rng.next() == Self.referenceFinalizer(state))
        }
        #expect(SplitMix64.finalize(0) == 0)
    }
}
