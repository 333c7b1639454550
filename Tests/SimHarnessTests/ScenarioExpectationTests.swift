import Engine
import Scenarios
import SimHarness
import JobSystem
import Testing

/// Every scenario under every profile it is checked under: the fixed system breaks no
/// invariant, and today's system (and the fixed one with any single defect it exposes) breaks
/// the invariant that catches that defect. This is what `simharness run --all` checks.
@Suite("Scenario expectations")
struct ScenarioExpectationTests {
    /// Every scenario of `run --all`, `fleet` (1,000 nodes) included, except `thundering-herd`,
    /// whose 10,000 nodes take minutes in a debug build: `scripts/test` (so CI) also runs
    /// `simharness run --all` from a release build, which checks it. `fleet-day` is not in
    /// `run --all`; the example CI workflow runs it nightly.
    static let cases: [(String, String)] = Catalogue.all
        .filter { $0.inRunAll && $0.name != "thundering-herd" }
        .flatMap { s in s.checkedProfiles.map { (s.name, $0.name) } }

    @Test(arguments: cases)
    func meetsExpectation(_ scenario: String, _ profile: String) throws {
        let s = try #require(Catalogue.named(scenario))
        let p = try #require(Profile.named(profile))
        let verdict = s.check(seed: 1, profile: p)
        #expect(verdict.passed, "\(scenario) [\(profile)]: expected \(verdict.expected.map(\.rawValue)), got \(verdict.violated.map(\.rawValue)): \(verdict.outcome.violations.prefix(3))")
        if p.defects.isEmpty && p.improvements == .all {
            #expect(verdict.outcome.jobsCompleted == verdict.outcome.jobsTotal && verdict.outcome.jobsTotal > 0)
        }
    }

    /// Each of today's defects is exposed by at least one scenario, so `run --all` catches all.
    @Test func everyDefectIsExposed() {
        let exposed = Set(Catalogue.all.flatMap(\.exposes))
        for d in Defect.allCases { #expect(exposed.contains(d), "no scenario exposes \(d.rawValue)") }
    }

    /// Each improvement with an invariant is needed by at least one scenario, so `run --all`
    /// shows what it is for (`fixed-<improvement>` breaks that invariant there).
    @Test func everyImprovementIsNeeded() {
        let needed = Set(Catalogue.all.flatMap(\.needs))
        for i in Improvement.allCases where i.caughtBy != nil {
            #expect(needed.contains(i), "no scenario needs \(i.rawValue)")
        }
    }

    /// Swarm seeds in the fixed profile: random fault mixes, all healed, every job completes.
    @Test(arguments: Array(UInt64(1)...8))
    func swarmSeedIsClean(_ seed: UInt64) throws {
        let s = try #require(Catalogue.named("swarm"))
        let v = s.check(seed: seed, profile: .fixed)
        #expect(v.passed, "swarm seed \(seed): \(v.outcome.violations.prefix(3))")
    }
}
