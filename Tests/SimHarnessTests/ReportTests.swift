import Engine
import Scenarios
import SimHarness
import JobSystem
import Testing

/// The timeline the world samples and the HTML pages built from it.
@Suite("Report")
struct ReportTests {
    static func runWithTimeline(_ name: String, _ profile: Profile, seed: UInt64 = 1) throws -> (World, RunOutcome, RunPlan) {
        let s = try #require(Catalogue.named(name))
        let plan = s.plan(seed: seed, profile: profile)
        let (world, outcome) = World.run(plan, timeline: Timeline())
        return (world, outcome, plan)
    }

    @Test func timelineIsMonotoneAndEndsAtTheStoreState() throws {
        let (world, outcome, _) = try Self.runWithTimeline("network-blip", .fixed)
        let samples = try #require(outcome.timeline?.samples)
        #expect(samples.count > 100)
        #expect(zip(samples, samples.dropFirst()).allSatisfy { $0.seconds < $1.seconds })
        // On the period grid, except the final sample at the end of the run.
        #expect(samples.dropLast().allSatisfy { ($0.seconds / 5).rounded() == $0.seconds / 5 })
        let last = try #require(samples.last)
        #expect(last.seconds == world.sim.now.seconds)
        #expect(last.pendingChunks == world.store.pendingChunkCount())
        #expect(last.runningChunks == world.store.chunkCount(.running))
        #expect(last.onlineNodes == world.store.nodeCount(.online))
        #expect(last.completedJobs == world.store.jobCount(.completed))
        #expect(last.completedJobs == outcome.jobsCompleted)
        #expect(last.jobs == outcome.jobsTotal)
        // Completed jobs never go down; chunks ran. (Under `fixed` a chunk is pending for
        // milliseconds only, so 5 s samples rarely catch one; the partition keeps some running.)
        #expect(zip(samples, samples.dropFirst()).allSatisfy { $0.completedJobs <= $1.completedJobs })
        #expect(samples.contains { $0.runningChunks > 0 })
        #expect(samples.first?.completedJobs == 0 && last.completedJobs > 0)
        #expect(last.assignmentDelayP50 != nil)
    }

    @Test func samplingDoesNotChangeTheRun() throws {
        let s = try #require(Catalogue.named("happy-path"))
        let without = s.check(seed: 3, profile: .legacy).outcome
        let (_, with, _) = try Self.runWithTimeline("happy-path", .legacy, seed: 3)
        #expect(with.digest == without.digest)
        #expect(with.events == without.events)
    }

    @Test func runReportHasAChartPerSeriesAndTheViolations() throws {
        let (_, outcome, _) = try Self.runWithTimeline("happy-path", .legacy)
        #expect(!outcome.violations.isEmpty)
        let report = RunReport(
            scenario: "happy-path", summary: "summary <with> & markup", profile: "legacy", seed: 1, passed: true,
            mustBeClean: false, expected: ["result-aggregation"], outcome: outcome,
            faults: FaultSpan.derive(outcome.measures.faults, runEnd: outcome.simSeconds))
        let html = report.html
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        // One <svg> per chart and one for the fault/violation lane.
        #expect(count("<svg", in: html) == RunReport.chartTitles.count + 1)
        for title in RunReport.chartTitles { #expect(html.contains("<h3>\(title)</h3>")) }
        // Violations: marks on every chart and the lane, named.
        #expect(count("class=\"violation\"", in: html) >= RunReport.chartTitles.count + 1)
        for inv in outcome.violated { #expect(html.contains(inv.rawValue)) }
        #expect(html.contains("#cf222e"))
        #expect(html.contains("summary &lt;with&gt; &amp; markup"))
        #expect(html.contains("\(outcome.digest)"))
        // Self-contained: nothing fetched.
        #expect(!html.contains("<script") && !html.contains("https://"))
        #expect(!html.contains("<link") && !html.contains("@import") && !html.contains("src="))
        for measure in ["job latency p99", "assignment delay p50", "duplicate executions", "reclaimed by reaper", "online-but-idle node-seconds", "notifications dropped"] {
            #expect(html.contains(measure))
        }
    }

    /// Bands come from what happened (`Measures.faults`), not from the plan.
    @Test func faultsBecomeBandsAndTicks() throws {
        let s = try #require(Catalogue.named("node-crash"))
        let outcome = s.check(seed: 1, profile: .fixed).outcome
        let spans = FaultSpan.derive(outcome.measures.faults, runEnd: 1500)
        // Two crashes, each closed by its restart ten minutes later (first boots are not faults).
        #expect(spans.map(\.label) == ["node-0 down", "node-1 down"])
        #expect(spans.map(\.start) == [45, 50])
        #expect(spans.map(\.end) == [645, 650])
        let attacks = try #require(Catalogue.named("attacks")).check(seed: 1, profile: .fixed).outcome
        let ticks = FaultSpan.derive(attacks.measures.faults, runEnd: 720)
        #expect(ticks.count == 9)
        #expect(ticks.allSatisfy { $0.end == nil && $0.label.hasPrefix("attack ") })
        // A planned action that does nothing (a restart of a running node) draws nothing.
        let noop = [AppliedFault(seconds: 5, action: .crash, target: .node(0))]
        #expect(FaultSpan.derive(noop, runEnd: 60) == [FaultSpan(start: 5, end: 60, label: "node-0 down")])
    }

    @Test func sweepReportTablesAndMatrix() throws {
        let cells = [Cell(scenario: "happy-path", profile: "fixed")]
        let runs = (1...4).map { seed in
            RunRecord(
                key: RunKey(scenario: "happy-path", profile: "fixed", seed: UInt64(seed)), passed: seed != 2, mustBeClean: true,
                expected: [], violated: seed == 2 ? ["jobs-complete"] : [], firstViolation: nil, digest: "d", events: 1,
                simSeconds: 1, jobsTotal: 1, jobsCompleted: 1, jobLatencyP50: 1, jobLatencyP99: 1)
        }
        let summary = SweepSummary(plan: SweepPlan(cells: cells, seeds: try SeedSet("1..5"), shard: .whole), runs: runs)
        let html = SweepReport(summary: summary).html
        #expect(count("<svg", in: html) == 1)
        #expect(count("<rect", in: html) == 5)
        #expect(html.contains("FAILED"))
        #expect(html.contains("jobs-complete"))
        #expect(html.contains("simharness report happy-path --profile fixed --seed 2"))
        #expect(html.contains("not run"))
    }

    func count(_ needle: String, in hay: String) -> Int {
        hay.ranges(of: needle).count
    }
}
