import Scenarios
import SimHarness
import Testing

/// The shrinker on small failing runs (attacks under legacy: three nodes, one job, nine attacks,
/// a few tenths of a second per run in a debug build).
@Suite struct ShrinkTests {
    static let failing = RunSpec(scenario: "attacks", seed: 1, profile: "legacy")

    @Test func shrinksToASmallerRunThatStillViolatesTheSameInvariant() throws {
        let r = try Shrinker(maxRuns: 60).shrink(Self.failing, invariant: .authenticatedRequests)
        #expect(r.invariant == .authenticatedRequests)
        #expect(r.size.fits(in: r.originalSize))
        #expect(r.size != r.originalSize)
        #expect(r.runs <= 60)
        #expect(r.outcome.violated.contains(.authenticatedRequests))

        // The minimal spec stands on its own: rebuilt and re-run, it still fails the same way.
        let (file, outcome) = try TraceFile.recording(r.minimal)
        #expect(outcome.violated.contains(.authenticatedRequests))
        #expect(RunSize(of: try r.minimal.plan()) == r.size)
        #expect(file.header.violations.contains(Invariant.authenticatedRequests.rawValue))
        #expect(try Replay.replay(file) == .reproduced(digest: file.header.digest))
    }

    @Test func shrinkingIsDeterministic() throws {
        let a = try Shrinker(maxRuns: 60).shrink(Self.failing, invariant: .authenticatedRequests)
        let b = try Shrinker(maxRuns: 60).shrink(Self.failing, invariant: .authenticatedRequests)
        #expect(a.minimal == b.minimal)
        #expect(a.runs == b.runs)
        #expect(a.outcome.digest == b.outcome.digest)
    }

    @Test func defaultInvariantIsTheRunsFirstViolation() throws {
        let r = try Shrinker(maxRuns: 40).shrink(Self.failing)
        #expect(r.invariant == r.originalOutcome.violations.first?.invariant)
        #expect(r.outcome.violated.contains(r.invariant))
        #expect(r.size.fits(in: r.originalSize))
    }

    @Test func budgetIsRespected() throws {
        let r = try Shrinker(maxRuns: 3).shrink(Self.failing, invariant: .authenticatedRequests)
        #expect(r.runs <= 3)
        #expect(r.exhausted)
        #expect(r.outcome.violated.contains(.authenticatedRequests))
        #expect(r.size.fits(in: r.originalSize))
    }

    @Test func cleanOrDifferentlyFailingRunsAreRefused() {
        #expect(throws: ShrinkError.self) {
            try Shrinker(maxRuns: 5).shrink(RunSpec(scenario: "attacks", seed: 1, profile: "fixed"))
        }
        #expect(throws: ShrinkError.self) {
            try Shrinker(maxRuns: 5).shrink(Self.failing, invariant: .singleAssignee)
        }
    }
}
