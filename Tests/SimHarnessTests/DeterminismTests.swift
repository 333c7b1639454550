import Engine
import Scenarios
import SimHarness
import JobSystem
import Testing

/// Same seed, same run: identical digests and event counts; another seed, another run.
@Suite("World determinism")
struct WorldDeterminismTests {
    @Test(arguments: ["happy-path", "swarm", "blue-green"])
    func sameSeedSameDigest(_ name: String) throws {
        let s = try #require(Catalogue.named(name))
        let a = s.check(seed: 11, profile: .fixed).outcome
        let b = s.check(seed: 11, profile: .fixed).outcome
        #expect(a.digest == b.digest)
        #expect(a.events == b.events)
        let c = s.check(seed: 12, profile: .fixed).outcome
        #expect(c.digest != a.digest)
    }

    /// The digest sees the profile: today's system is a different run of the same scenario.
    @Test func profileChangesTheRun() throws {
        let s = try #require(Catalogue.named("happy-path"))
        #expect(s.check(seed: 1, profile: .fixed).outcome.digest != s.check(seed: 1, profile: .legacy).outcome.digest)
    }
}
