import Scenarios
import SimHarness
import JobSystem
import Testing

/// `simharness tune` and `validate-thresholds` without the worker processes: grids, the
/// aggregation, the Pareto front and recommendation, the regression check, and one small sweep
/// run in process end to end.
@Suite("Tune")
struct TuneTests {
    // MARK: Grids

    @Test func axesMultiplyInOrderAndTheOfflineMarkingFollowsTheWindow() throws {
        let g = try TuneGrid(axes: [
            try TuneGrid.axis(.heartbeatInterval, "10s,15s"), try TuneGrid.axis(.onlineWindow, "30s, 45s, 60s"),
        ])
        let pts = g.points
        #expect(pts.count == 6 && g.pointCount == 6)
        #expect(pts.map(\.heartbeatInterval) == [.seconds(10), .seconds(10), .seconds(10), .seconds(15), .seconds(15), .seconds(15)])
        #expect(pts.map(\.onlineWindow) == [.seconds(30), .seconds(45), .seconds(60), .seconds(30), .seconds(45), .seconds(60)])
        #expect(pts.allSatisfy { $0.offlineAfter == $0.onlineWindow })
        #expect(pts.allSatisfy { $0.claimTimeout == Thresholds.fixed.claimTimeout })
        // Given as an axis of its own, the offline marking does not follow.
        let h = try TuneGrid(axes: [try TuneGrid.axis(.onlineWindow, "30s,45s"), try TuneGrid.axis(.offlineAfter, "5m")])
        #expect(h.points.allSatisfy { $0.offlineAfter == .minutes(5) })
        #expect(try TuneGrid.axis(.sentinelReclaimAfter, "off,60s").values == [.off, .duration(.seconds(60))])
    }

    @Test func badGridsAreErrors() {
        #expect(throws: TuneGrid.ParseError.self) { try TuneGrid.axis(.heartbeatInterval, "10s,,15s") }
        #expect(throws: TuneGrid.ParseError.self) { try TuneGrid.axis(.heartbeatInterval, "10") }
        #expect(throws: TuneGrid.ParseError.self) { try TuneGrid.axis(.assignmentBatch, "100,x") }
        #expect(throws: TuneGrid.ParseError.self) {
            try TuneGrid(axes: [try TuneGrid.axis(.debounce, "10ms,10ms")])
        }
        #expect(throws: TuneGrid.ParseError.self) {
            try TuneGrid(axes: [try TuneGrid.axis(.debounce, "10ms"), try TuneGrid.axis(.debounce, "20ms")])
        }
        let many = (1...101).map { "\($0)s" }.joined(separator: ",")
        #expect(throws: TuneGrid.ParseError.self) {
            try TuneGrid(axes: [try TuneGrid.axis(.heartbeatInterval, many), try TuneGrid.axis(.claimTimeout, many)])
        }
    }

    @Test func gridFiles() throws {
        let g = try TuneGrid.parse(file: "# grid\nNODE_HEARTBEAT_INTERVAL=10s,15s\nCHUNK_REAPER_PERIOD=30s\nclaim-timeout=3m,5m\n")
        #expect(g.axes.map(\.key) == [.heartbeatInterval, .claimTimeout])
        #expect(g.base.reaperPeriod == .seconds(30))
        #expect(g.points.count == 4)
        do {
            _ = try TuneGrid.parse(file: "NODE_HEARTBEAT_INTERVAL=10s\n\nSENTINEL_FALLBAK=10s\n")
            Issue.record("accepted an unknown key")
        } catch {
            #expect(error.description.hasPrefix("line 3: unknown key SENTINEL_FALLBAK"))
        }
        #expect(throws: TuneGrid.ParseError.self) { try TuneGrid.parse(file: "SENTINEL_DEBOUNCE=5x") }
        // CRLF files read line by line like LF ones.
        #expect(try TuneGrid.parse(file: "# g\r\nNODE_HEARTBEAT_INTERVAL=10s,15s\r\nCHUNK_REAPER_PERIOD=30s\r\n").points.count == 2)
    }

    // MARK: Aggregation, Pareto front, recommendation

    static func record(_ profile: String, _ scenario: String, _ seed: UInt64, _ m: RunMeasures, violated: [String] = []) -> RunRecord {
        var r = RunRecord(
            key: RunKey(scenario: scenario, profile: profile, seed: seed), passed: violated.isEmpty, mustBeClean: true,
            expected: [], violated: violated, firstViolation: violated.first.map { "\($0) at 1s: x" }, digest: "d",
            events: 1, simSeconds: 600, jobsTotal: 1, jobsCompleted: 1 - m.unfinishedJobs,
            jobLatencyP50: m.jobLatencyP50, jobLatencyP99: m.jobLatencyP99)
        r.tuning = m
        return r
    }

    static func figures(latency: Double, wasted: Int = 0, load: Double = 60, falseReclaims: Int = 0, unfinished: Int = 0) -> RunMeasures {
        RunMeasures(
            jobLatencyP50: latency / 2, jobLatencyP99: latency, assignmentDelayP99: 1, wastedComputations: wasted,
            duplicateExecutions: wasted, falseReclaims: falseReclaims, starvationNodeSeconds: 0,
            heartbeatsPerSecondPer1000: load, unfinishedJobs: unfinished)
    }

    static func sweep(_ points: [(String, [RunMeasures], [String])]) throws -> SweepSummary {
        var runs: [RunRecord] = []
        for (spec, figures, violated) in points {
            for (i, f) in figures.enumerated() { runs.append(record(spec, "node-crash", UInt64(i + 1), f, violated: violated)) }
        }
        let plan = SweepPlan(cells: points.map { Cell(scenario: "node-crash", profile: $0.0) }, seeds: try SeedSet("1..2"), shard: .whole)
        return SweepSummary(plan: plan, runs: runs)
    }

    @Test func theFrontKeepsUndominatedAcceptablePointsAndTheRecommendationIsOnIt() throws {
        let f = Self.figures
        let s = try TuneSummary(
            sweep: Self.sweep([
                ("fixed:heartbeat=10s", [f(100, 0, 90, 0, 0), f(100, 0, 90, 0, 0)], []),  // fast, loud
                ("fixed", [f(120, 0, 60, 0, 0), f(120, 0, 60, 0, 0)], []),  // slower, quieter
                ("fixed:heartbeat=20s", [f(130, 0, 70, 0, 0), f(130, 0, 70, 0, 0)], []),  // dominated by fixed
                ("fixed:claim-timeout=2m:reaper-period=30s", [f(80, 0, 60, 0, 0), f(80, 0, 60, 0, 0)], []),  // breaks a rule
                ("fixed:claim-timeout=4m", [f(90, 0, 60, 2, 0), f(90, 0, 60, 0, 0)], []),  // false reclaims
                ("fixed:fallback=10s", [f(70, 0, 60, 0, 0), f(70, 0, 60, 0, 0)], ["jobs-complete"]),  // a violation
            ]))
        #expect(s.points.map(\.acceptable) == [true, true, true, false, false, false])
        #expect(s.points[3].ruleFailures.map(\.rule) == [.claimTimeoutExceedsLongestChunk])
        #expect(s.points[4].falseReclaims == 2 && s.points[4].falseReclaimRuns.map(\.seed) == [1])
        #expect(s.points[5].violations["jobs-complete"]?.map(\.seed) == [1, 2])
        #expect(s.pareto == [0, 1])
        #expect(s.recommended.map { s.pareto.contains($0) } == true)
        #expect(s.axes == [.heartbeatInterval, .claimTimeout, .reaperPeriod, .fallbackPeriod])
        #expect(s.points[1].jobLatencyP99 == 120 && s.points[1].heartbeatLoad == 60)
        // The renderings carry every point and mark the recommendation.
        let table = TuneText.table(s)
        #expect(table.contains("recommended: point \(s.recommended! + 1)"))
        #expect(TuneText.csv(s).split(separator: "\n").count == 1 + 6)
        let html = TuneReport(summary: s, x: .heartbeatInterval, y: .claimTimeout).html
        #expect(html.contains("<svg") && html.contains("Pareto front") && html.contains("★"))
        #expect(html.contains("simharness run node-crash --profile fixed:claim-timeout=4m --seed 1"))
        #expect(TuneText.json(s)["recommended"]?["point"]?.intValue == s.recommended! + 1)
    }

    @Test func noAcceptablePointNoRecommendation() throws {
        let f = Self.figures
        let s = try TuneSummary(sweep: Self.sweep([("fixed:debounce=2s", [f(100, 0, 60, 0, 0), f(100, 0, 60, 0, 0)], [])]))
        #expect(s.recommended == nil && s.pareto.isEmpty)
        #expect(TuneText.table(s).contains("no point is acceptable"))
    }

    @Test func tuningFiguresRoundTripThroughTheWorkerLine() throws {
        let r = Self.record("fixed:heartbeat=10s", "node-hang", 7, Self.figures(latency: 12.5, wasted: 3, load: 99.5, falseReclaims: 1))
        #expect(try RunRecord(jsonLine: r.jsonLine) == r)
        var plain = r
        plain.tuning = nil
        #expect(!plain.jsonLine.contains("tuning"))
    }

    // MARK: Validation

    @Test func regressionsNameTheWorstSeedsAgainstTheBaseline() throws {
        let f = Self.figures
        let sweep = try Self.sweep([
            ("fixed:claim-timeout=10m", [f(200, 0, 60, 0, 0), f(300, 0, 60, 0, 1)], []),
            ("fixed", [f(100, 0, 60, 0, 0), f(100, 0, 60, 0, 0)], []),
        ])
        var t = Thresholds.fixed
        t.claimTimeout = .minutes(10)
        let v = ThresholdValidation(sweep: sweep, candidate: "fixed:claim-timeout=10m", baseline: "fixed", thresholds: t, assumptions: ThresholdAssumptions())
        #expect(!v.passed)
        #expect(v.ruleFailures.isEmpty)
        let kinds = v.problems.map(\.kind)
        #expect(kinds.contains("unfinished-jobs") && kinds.contains("regression:latency-p99") && kinds.contains("regression:latency-p50"))
        let p99 = try #require(v.problems.first { $0.kind == "regression:latency-p99" })
        #expect(p99.runs.map(\.seed) == [2, 1])  // worst difference first
        #expect(v.text.contains("simharness run node-crash --profile fixed:claim-timeout=10m --seed 2"))
        // Against itself nothing regresses.
        let same = ThresholdValidation(sweep: sweep, candidate: "fixed", baseline: "fixed", thresholds: .fixed, assumptions: ThresholdAssumptions())
        #expect(same.passed)
    }

    // MARK: End to end

    /// A small real sweep, in process (the records are what `sweep-worker --measures` prints):
    /// today's thresholds against the fixed ones on network-blip. Today's break invariants and
    /// reclaim chunks from the partitioned node while it computes; the fixed ones do not, and
    /// validation passes them and fails today's.
    @Test func aSmallSweepEndToEnd() throws {
        let scenario = try #require(Catalogue.named("network-blip"))
        let today = Thresholds.today.spec(base: .fixed)
        let specs = [today, "fixed"]
        var runs: [RunRecord] = []
        for spec in specs {
            for seed: UInt64 in [1, 2] {
                runs.append(scenario.tuningRecord(seed: seed, profile: try #require(Profile.named(spec))))
            }
        }
        let sweep = SweepSummary(
            plan: SweepPlan(cells: specs.map { Cell(scenario: "network-blip", profile: $0) }, seeds: try SeedSet("1..2"), shard: .whole),
            runs: runs)
        let s = try TuneSummary(sweep: sweep)
        #expect(s.points.map(\.spec) == specs)
        let (bad, good) = (s.points[0], s.points[1])
        #expect(bad.violations.keys.contains("online-agreement") && bad.violations.keys.contains("reclaim-after-timeout"))
        #expect(bad.falseReclaims > 0)
        #expect(!bad.acceptable && bad.ruleFailures.count == 3)
        #expect(good.acceptable && good.violations.isEmpty && good.falseReclaims == 0 && good.unfinishedJobs == 0)
        #expect(good.heartbeatLoad > 0 && good.jobLatencyP99 > 0)
        #expect(s.recommended == 1)

        let fails = ThresholdValidation(sweep: sweep, candidate: today, baseline: "fixed", thresholds: .today, assumptions: ThresholdAssumptions())
        #expect(!fails.passed)
        #expect(fails.problems.contains { $0.kind == "false-reclaims" })
        let passes = ThresholdValidation(sweep: sweep, candidate: "fixed", baseline: "fixed", thresholds: .fixed, assumptions: ThresholdAssumptions())
        #expect(passes.passed)
    }
}
