import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Scenarios
import SimHarness
import JobSystem

/// `simharness tune`: a grid over thresholds, each point run over a scenario set and seeds in
/// the sweep's worker processes; per point the tuning figures, the Pareto front and a
/// recommendation.
///
/// Exit: 0 a point is recommended; 1 no point is acceptable; 2 the sweep could not run;
/// 64 bad usage.
struct TuneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tune",
        abstract: "Sweep a grid of thresholds over fault scenarios and seeds; recommend a point.",
        discussion: """
            Axes are comma-separated values per threshold (--heartbeat 10s,15s,30s --claim-timeout 3m,5m) or a \
            grid file (--grid FILE: thresholds-file keys, each with one value or a comma list). Unlisted \
            thresholds keep the base's value (fixed, or --base FILE); the offline marking follows the online \
            window unless it is an axis itself. Each point runs as the profile spec fixed:<key>=<value>:..., \
            which `simharness run --profile` reproduces.
            Shard like sweeps (--shard i/n, JOB_COMPLETION_INDEX) with --out; merge the shards with \
            `simharness merge --out all.json` and render with `simharness tune --from all.json --html ...`.
            Exit: 0 a point is recommended, 1 no acceptable point, 2 the sweep could not run.
            """)

    @Option(help: "Heartbeat interval values, e.g. 10s,15s,30s.")
    var heartbeat: String?
    @Option(name: .customLong("online-window"), help: "The scheduler's online window values.")
    var onlineWindow: String?
    @Option(name: .customLong("offline-after"), help: "Offline marking age values (default: follows the online window).")
    var offlineAfter: String?
    @Option(name: .customLong("offline-period"), help: "Offline marking period values.")
    var offlinePeriod: String?
    @Option(name: .customLong("claim-timeout"), help: "Claim timeout values.")
    var claimTimeout: String?
    @Option(name: .customLong("reaper-period"), help: "Reaper period values.")
    var reaperPeriod: String?
    @Option(name: .customLong("reclaim-after"), help: "Sentinel reclaim values (off, or durations: today's second reclaimer).")
    var reclaimAfter: String?
    @Option(help: "Sentinel fallback period values.")
    var fallback: String?
    @Option(help: "Sentinel debounce values.")
    var debounce: String?
    @Option(help: "Assignment batch size values.")
    var batch: String?

    @Option(help: "A grid file (keys of the thresholds file, values comma-separated).")
    var grid: String?

    @Option(help: "A thresholds file whose values the grid starts from (default: the fixed system's).")
    var base: String?

    @Option(help: "Comma-separated scenarios (default: \(TuneSupport.defaultScenarioNames.joined(separator: ",")), those that exist).")
    var scenarios: String?

    @Option(help: "Seeds: a..b (inclusive) and single seeds, comma-separated.")
    var seeds: String = "1..20"

    @Option(help: "Worker processes (default: the number of cores).")
    var workers: Int?

    @Option(help: "This shard only: i/n, 0-based.")
    var shard: String?

    @Option(name: .customLong("shard-count"), help: "Shard count when the index comes from JOB_COMPLETION_INDEX.")
    var shardCount: Int?

    @Option(help: "Render this sweep summary (a tune --out, or their merge) instead of running.")
    var from: String?

    @Option(help: "Write the sweep summary (every run with its figures; mergeable) to this file.")
    var out: String?

    @Flag(help: "Print the tuning summary as JSON on stdout instead of the table.")
    var json = false

    @Option(help: "Write the per-point figures as CSV to this file.")
    var csv: String?

    @Option(help: "Write the HTML report to this file.")
    var html: String?

    @Option(help: "Heat-map x axis (a threshold name, default: the first varying one).")
    var x: String?

    @Option(help: "Heat-map y axis (default: the second varying one).")
    var y: String?

    @Option(name: .customLong("env-out"), help: "Write the recommended thresholds file here.")
    var envOut: String?

    @OptionGroup var assumptionOptions: AssumptionOptions

    func validate() throws {
        if let workers, workers < 1 { throw ValidationError("--workers must be at least 1") }
        for (flag, v) in [("--x", x), ("--y", y)] {
            if let v, ThresholdKey.named(v) == nil {
                throw ValidationError("\(flag) \(v): not a threshold (known: \(ThresholdKey.allCases.map(\.name).joined(separator: ", ")))")
            }
        }
        if x != nil && x == y { throw ValidationError("--x and --y must differ") }
    }

    var axisFlags: [(ThresholdKey, String?)] {
        [
            (.heartbeatInterval, heartbeat), (.onlineWindow, onlineWindow), (.offlineAfter, offlineAfter),
            (.offlineMarkingPeriod, offlinePeriod), (.claimTimeout, claimTimeout), (.reaperPeriod, reaperPeriod),
            (.sentinelReclaimAfter, reclaimAfter), (.fallbackPeriod, fallback), (.debounce, debounce),
            (.assignmentBatch, batch),
        ]
    }

    func makeGrid() throws -> TuneGrid {
        let baseThresholds = try base.map { try TuneSupport.readThresholds($0).thresholds } ?? .fixed
        do {
            var g: TuneGrid
            if let grid {
                guard let text = try? String(contentsOfFile: grid, encoding: .utf8) else { throw ValidationError("cannot read \(grid)") }
                g = try TuneGrid.parse(file: text, base: baseThresholds)
            } else {
                g = try TuneGrid(base: baseThresholds, axes: [])
            }
            var axes = g.axes
            for (key, list) in axisFlags {
                guard let list else { continue }
                let axis = try TuneGrid.axis(key, list)
                if let i = axes.firstIndex(where: { $0.key == key }) { axes[i] = axis } else { axes.append(axis) }
            }
            return try TuneGrid(base: g.base, axes: axes)
        } catch let e as TuneGrid.ParseError {
            throw ValidationError((grid.map { "\($0): " } ?? "") + e.description)
        }
    }

    func run() throws {
        let assumptions = try assumptionOptions.assumptions()
        let sweep: SweepSummary
        if let from {
            guard let text = try? String(contentsOfFile: from, encoding: .utf8) else { throw ValidationError("cannot read \(from)") }
            do { sweep = try SweepSummary(jsonText: text) } catch { throw ValidationError("\(from): \(error.description)") }
        } else {
            let grid = try makeGrid()
            let names = try TuneSupport.scenarios(scenarios)
            let specs = grid.points.map { $0.spec(base: .fixed) }
            var cells: [Cell] = []
            for spec in specs { for s in names { cells.append(Cell(scenario: s, profile: spec)) } }
            let seedSet: SeedSet
            let chosenShard: Shard
            do {
                seedSet = try SeedSet(seeds)
                chosenShard = try Shard.resolve(flag: shard, countFlag: shardCount, environment: ProcessInfo.processInfo.environment)
            } catch let e as SeedSet.ParseError {
                throw ValidationError(e.description)
            } catch let e as Shard.ParseError {
                throw ValidationError(e.description)
            }
            StandardStreams.error("tune: \(specs.count) points × \(names.count) scenarios × \(seedSet.seeds.count) seeds\n")
            sweep = try TuneSupport.sweep(cells: cells, seeds: seedSet, shard: chosenShard, workers: workers, label: "tune")
        }
        if let out { try TuneSupport.write(sweep.jsonText, to: out) }
        let summary: TuneSummary
        do { summary = try TuneSummary(sweep: sweep, assumptions: assumptions) } catch {
            throw ValidationError(error.description)
        }
        guard !summary.points.isEmpty else { throw ValidationError("the sweep has no grid points") }
        if json { print(TuneText.json(summary).canonicalString) } else { print(TuneText.table(summary)) }
        if let csv { try TuneSupport.write(TuneText.csv(summary), to: csv) }
        if let html {
            let report = TuneReport(summary: summary, x: x.flatMap(ThresholdKey.named), y: y.flatMap(ThresholdKey.named))
            try TuneSupport.write(report.html, to: html)
        }
        if let envOut, let r = summary.recommended {
            try TuneSupport.write("# recommended by simharness tune (point \(r + 1): \(summary.points[r].spec))\n" + summary.points[r].thresholds.envText, to: envOut)
        }
        if summary.recommended == nil { throw ExitCode(1) }
    }
}
