import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Scenarios
import SimHarness
import JobSystem

/// What `tune` and `validate-thresholds` share: the scenario set, the assumptions the static
/// rules compare against, reading thresholds files, and running the sweep (the `sweep`
/// command's worker pool, with the tuning figures asked for).
enum TuneSupport {
    /// The default scenario set: the fault scenarios thresholds decide the outcome of (crashes,
    /// hangs, partitions, clock skew, loss, lost notifications), each small enough that 50 grid
    /// points × 20 seeds take minutes on two cores. `slow-chunks` joins when the catalogue has
    /// it. The 1,000-node `fleet` is left out of the default (about 5 CPU-seconds a run) and can
    /// be named with `--scenarios`.
    static let defaultScenarioNames = [
        "node-crash", "node-hang", "network-blip", "clock-skew", "lossy-network", "store-restart", "slow-chunks",
    ]

    static func scenarios(_ list: String?) throws -> [String] {
        guard let list else { return defaultScenarioNames.filter { Catalogue.named($0) != nil } }
        var out: [String] = []
        for name in list.split(separator: ",").map(String.init) {
            guard Catalogue.named(name) != nil else {
                throw ValidationError("no scenario named \(name) (known: \(Catalogue.all.map(\.name).joined(separator: ", ")))")
            }
            if !out.contains(name) { out.append(name) }
        }
        guard !out.isEmpty else { throw ValidationError("--scenarios names no scenario") }
        return out
    }

    static func interval(_ text: String?, _ flag: String, default d: Interval) throws -> Interval {
        guard let text else { return d }
        do { return try DurationText.parse(text) } catch { throw ValidationError("\(flag) \(text): \(error.description)") }
    }

    /// Reads a thresholds file; errors name the file and the line.
    static func readThresholds(_ path: String, base: Thresholds = .fixed) throws -> ThresholdsFile {
        guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("cannot read \(path)") }
        do { return try ThresholdsFile(bytes: Array(data), base: base) } catch {
            throw ValidationError(error.line > 0 ? "\(path):\(error.line): \(error.message)" : "\(path): \(error.message)")
        }
    }

    /// Runs every (scenario, profile spec) cell over the seeds (this shard of them) in worker
    /// processes, with a progress bar on stderr.
    static func sweep(cells: [Cell], seeds: SeedSet, shard: Shard, workers: Int?, label: String) throws -> SweepSummary {
        let plan = SweepPlan(cells: cells, seeds: seeds, shard: shard)
        let keys = plan.keys
        let workerCount = min(workers ?? ProcessInfo.processInfo.activeProcessorCount, max(1, keys.count))
        let tasks = SweepTask.batches(cells: plan.cells, seeds: plan.shard.select(plan.seeds.seeds), workers: workerCount)
        var progress = SweepProgress(total: keys.count, label: label)
        var pool = SweepPool(executable: SweepPool.ownExecutable(), workers: workerCount)
        pool.workerArguments = ["--measures"]
        let records: [RunRecord]
        do {
            records = try pool.run(tasks) { done, failed in progress.update(done: done, failed: failed) }
        } catch {
            progress.finish("\(label) aborted")
            StandardStreams.error("error: \(error)\n")
            throw ExitCode(2)
        }
        progress.finish("\(records.count) runs on \(workerCount) workers")
        let summary = SweepSummary(plan: plan, runs: records)
        let reported = Set(summary.runs.map(\.key))
        if keys.contains(where: { !reported.contains($0) }) {
            StandardStreams.error("error: some planned runs did not report\n")
            throw ExitCode(2)
        }
        return summary
    }

    static func write(_ text: String, to path: String) throws {
        do { try text.write(toFile: path, atomically: true, encoding: .utf8) } catch {
            throw ValidationError("cannot write \(path): \(error)")
        }
    }
}

/// The deployment facts the static rules compare thresholds against.
struct AssumptionOptions: ParsableArguments {
    @Option(name: .customLong("longest-chunk"), help: "Longest a chunk may legitimately compute (default 2m).")
    var longestChunk: String?

    @Option(name: .customLong("network-delay"), help: "Longest a node's request may take to reach the store (default 5s).")
    var networkDelay: String?

    @Option(name: .customLong("max-assignment-delay"), help: "Longest a pending chunk may wait when notifications are lost (default 60s).")
    var maxAssignmentDelay: String?

    func assumptions() throws -> ThresholdAssumptions {
        var a = ThresholdAssumptions()
        a.longestChunk = try TuneSupport.interval(longestChunk, "--longest-chunk", default: a.longestChunk)
        a.networkDelay = try TuneSupport.interval(networkDelay, "--network-delay", default: a.networkDelay)
        a.maxAssignmentDelay = try TuneSupport.interval(maxAssignmentDelay, "--max-assignment-delay", default: a.maxAssignmentDelay)
        return a
    }
}
