import Dispatch
import Engine
import SimHarness
import JobSystem
import Testing

/// `bench fleet` must stay the workload of `shared/workloads/fleet.md` while it is made faster
/// (issue 11): over 20 seeds at N = 1,000, J = 100 its statistics match what the spec implies.
/// Not timed. Every tolerance is derived from the spread across the 20 seeds (3 standard errors
/// of our mean) plus, where the spec gives one, the standard error of its own mean over its 100
/// seeds, or from the spec's model itself (a Poisson count, the heartbeat period).
@Suite("Fleet workload fidelity")
struct FleetFidelityTests {
    struct Run: Sendable {
        var seconds: Double
        var heartbeatsPerNodeMinute: Double
        var assignments: Double
        var reaped: Double
        /// A crashed node's chunks that it computed again itself after its restart, learnt from
        /// its assignment channel's `subscribed` list before the reaper took them.
        var recovered: Double
        var crashes: Double
    }

    static let nodes = 1_000
    static let seeds: [UInt64] = Array(1...20)

    static func measure(seed: UInt64) -> Run {
        let world = FleetWorkload(nodes: nodes, jobs: nodes / 10, seed: seed).run()
        let m = world.observer.measures
        let seconds = world.sim.now.seconds
        let crashes = m.faults.filter { if case .crash = $0.action { return true } else { return false } }.count
        return Run(
            seconds: seconds, heartbeatsPerNodeMinute: Double(m.heartbeatRequests) / (Double(nodes) * seconds / 60),
            assignments: Double(m.computations), reaped: Double(m.reclaimedByReaper),
            recovered: Double(m.heldChunksRecovered), crashes: Double(crashes))
    }

    static func mean(_ xs: [Double]) -> Double { xs.reduce(0, +) / Double(xs.count) }

    /// The sample standard error of the mean.
    static func standardError(_ xs: [Double]) -> Double {
        let m = mean(xs)
        let variance = xs.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(xs.count - 1)
        return (variance / Double(xs.count)).squareRoot()
    }

    @Test func twentySeedsMatchTheSpec() async {
        // The seeds one after another on a thread of Dispatch's own, not on Swift's cooperative
        // pool: twenty CPU-bound tasks there would hold every one of its threads (one per core)
        // for minutes and starve the suites that wait on real I/O (the API, the node runner).
        let runs = await withCheckedContinuation { (done: CheckedContinuation<[Run], Never>) in
            DispatchQueue.global().async { done.resume(returning: Self.seeds.map { Self.measure(seed: $0) }) }
        }
        #expect(runs.allSatisfy { $0.assignments >= 10_000 }, "every chunk of the 100 jobs is computed")

        // Seconds to finish: the spec's independent implementation gives ~385 s, sd ~97, over
        // 100 seeds.
        let seconds = runs.map(\.seconds)
        let specSE = 97 / Double(100).squareRoot()
        let finishTolerance = 3 * (Self.standardError(seconds) * Self.standardError(seconds) + specSE * specSE).squareRoot()
        #expect(abs(Self.mean(seconds) - 385) <= finishTolerance, "mean finish \(Self.mean(seconds)) s, spec ~385 ± \(finishTolerance)")

        // Heartbeats: one every 15 s while up, 4 per minute; the first at U[0, 15) s after boot
        // (and the last still in flight at the end) moves a node's count by at most one
        // heartbeat, 60 / T per minute.
        let rate = runs.map(\.heartbeatsPerNodeMinute)
        let rateTolerance = 60 / Self.mean(seconds) + 3 * Self.standardError(rate)
        #expect(abs(Self.mean(rate) - 4) <= rateTolerance, "heartbeats per node-minute \(Self.mean(rate)), spec 4 ± \(rateTolerance)")

        // Crashes: each node crashes at rate 1 per 86,400 s, so a run of T s expects N·T/86,400
        // (Poisson: its variance is its mean).
        let crashes = runs.map(\.crashes)
        let expectedCrashes = Self.mean(runs.map { Double(Self.nodes) * $0.seconds / 86_400 })
        let crashTolerance = 3 * (expectedCrashes / Double(runs.count)).squareRoot()
        #expect(abs(Self.mean(crashes) - expectedCrashes) <= crashTolerance, "crashes \(Self.mean(crashes)), expected \(expectedCrashes) ± \(crashTolerance)")

        // A crashed node's chunks: only they outlive the 300 s claim (claims are renewed, no
        // chunk computes that long), at most 4 per crash; the spec's mean is ~3, all reaped.
        // The one departure from fleet.md: the node restarts 300 s after its crash, as its
        // claim times out, and learns from its assignment channel the chunks it still holds
        // (issue 10), so some are computed again by their own node instead of being reaped
        // first. The spec's reaped chunks are ours reaped or recovered.
        let reaped = runs.map { $0.reaped + $0.recovered }
        #expect(Self.mean(reaped) <= 4 * Self.mean(crashes) + 3 * Self.standardError(reaped))
        let reapTolerance = 3 * Self.standardError(reaped) + 3 * (3 / Double(100)).squareRoot()
        #expect(abs(Self.mean(reaped) - 3) <= reapTolerance, "reaped or recovered \(Self.mean(reaped)), spec ~3 reaped ± \(reapTolerance)")

        // Assignments: every chunk once, and once more per reaped or recovered chunk (~10,003
        // in the spec).
        let assignments = runs.map(\.assignments)
        let assignTolerance = 3 * Self.standardError(assignments) + reapTolerance
        #expect(abs(Self.mean(assignments) - 10_003) <= assignTolerance, "assignments \(Self.mean(assignments)), spec ~10,003 ± \(assignTolerance)")
        for run in runs {
            #expect(run.assignments <= 10_000 + run.reaped + run.recovered, "no chunk computed twice except after a crash")
        }
    }
}
