import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Scenarios
import SimHarness
import JobSystem

/// `simharness sweep`: many seeds of many scenarios in parallel worker processes, with a
/// summary of violations by invariant and by scenario/profile.
///
/// Exit codes (what CI can rely on): 0 every run met its expectation; 1 some run did not (or
/// crashed); 2 the sweep could not be carried out (a worker would not start or spoke nonsense);
/// 64 bad usage.
struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Run many seeds in parallel worker processes; summarize violations by invariant.",
        discussion: """
            Seeds are dealt to shards round-robin by position (position % n == i, 0-based). Without \
            --shard, JOB_COMPLETION_INDEX (Kubernetes Indexed Job) with --shard-count or SHARD_COUNT \
            selects the shard. The summary (--json, --out) is identical whatever --workers is; merge \
            shard summaries with `simharness merge`.
            Exit: 0 all runs met their expectation, 1 some did not, 2 the sweep could not run.
            """)

    @Option(help: "Comma-separated scenario names (default: all).")
    var scenarios: String?

    @Flag(help: "Every scenario (the default).")
    var all = false

    @Option(help: "Comma-separated profiles (fixed, legacy, fixed+<defect>). Default: each scenario's checked profiles.")
    var profiles: String?

    @Option(help: "Seeds: a..b (inclusive) and single seeds, comma-separated.")
    var seeds: String = "1..20"

    @Option(help: "Worker processes (default: the number of cores).")
    var workers: Int?

    @Option(help: "This shard only: i/n, 0-based.")
    var shard: String?

    @Option(name: .customLong("shard-count"), help: "Shard count when the index comes from JOB_COMPLETION_INDEX.")
    var shardCount: Int?

    @Flag(help: "Print the summary as JSON on stdout.")
    var json = false

    @Option(help: "Write the JSON summary to this file.")
    var out: String?

    /// More worker processes than this is a typo: each is a whole `simharness` process.
    static let maxWorkers = 256

    func validate() throws {
        if let workers, !(1...Self.maxWorkers).contains(workers) {
            throw ValidationError("--workers must be between 1 and \(Self.maxWorkers)")
        }
        if all && scenarios != nil { throw ValidationError("--all and --scenarios exclude each other") }
        // An empty selection would run nothing and pass: always a mistake (an unset variable).
        if let scenarios { _ = try Self.names(scenarios, option: "--scenarios") }
        if let profiles { _ = try Self.names(profiles, option: "--profiles") }
    }

    /// `s` without leading and trailing blanks (spaces, tabs and other horizontal white space;
    /// what Foundation's `.whitespaces` set trims).
    static func trimmedSpaces(_ s: Substring) -> String {
        let blank: (Character) -> Bool = { $0.isWhitespace && !$0.isNewline }
        guard let first = s.firstIndex(where: { !blank($0) }), let last = s.lastIndex(where: { !blank($0) }) else { return "" }
        return String(s[first...last])
    }

    /// The names of a comma-separated list; an empty list or an empty name is a usage error.
    static func names(_ list: String, option: String) throws -> [String] {
        let names = list.split(separator: ",", omittingEmptySubsequences: false).map { Self.trimmedSpaces($0) }
        guard !names.isEmpty, !names.contains(where: \.isEmpty) else {
            throw ValidationError("\(option) must name at least one, with no empty names (got '\(list)')")
        }
        return names
    }

    func run() throws {
        let plan = try makePlan()
        let keys = plan.keys
        let workerCount = min(workers ?? ProcessInfo.processInfo.activeProcessorCount, max(1, keys.count))
        let tasks = SweepTask.batches(cells: plan.cells, seeds: plan.shard.select(plan.seeds.seeds), workers: workerCount)
        var progress = SweepProgress(total: keys.count, label: "sweep")
        let pool = SweepPool(executable: SweepPool.ownExecutable(), workers: workerCount)
        let records: [RunRecord]
        do {
            records = try pool.run(tasks) { done, failed in progress.update(done: done, failed: failed) }
        } catch {
            progress.finish("sweep aborted")
            StandardStreams.error("error: \(error)\n")
            throw ExitCode(2)
        }
        progress.finish("\(records.count) runs on \(workerCount) workers")
        let summary = SweepSummary(plan: plan, runs: records)
        try SweepOutput.emit(summary, json: json, out: out)
        // Every planned run must have reported (a crashed one reports as failed).
        let reported = Set(summary.runs.map(\.key))
        if keys.contains(where: { !reported.contains($0) }) { throw ExitCode(2) }
        if summary.failed > 0 { throw ExitCode(1) }
    }

    func makePlan() throws -> SweepPlan {
        let chosen: [Scenario]
        if let scenarios {
            chosen = try Self.names(scenarios, option: "--scenarios").map { name in
                guard let s = Catalogue.named(name) else { throw ValidationError("no scenario named \(name)") }
                return s
            }
        } else {
            chosen = Catalogue.runAll
        }
        let fixedProfiles: [Profile]? = try profiles.map { list in
            try Self.names(list, option: "--profiles").map { name in
                guard let p = Profile.named(name) else { throw ValidationError("no profile named \(name)") }
                return p
            }
        }
        var cells: [Cell] = []
        for s in chosen {
            for p in fixedProfiles ?? s.checkedProfiles {
                let c = Cell(scenario: s.name, profile: p.name)
                if !cells.contains(c) { cells.append(c) }
            }
        }
        do {
            let seedSet = try SeedSet(seeds)
            let shard = try Shard.resolve(flag: shard, countFlag: shardCount, environment: ProcessInfo.processInfo.environment)
            return SweepPlan(cells: cells, seeds: seedSet, shard: shard)
        } catch let e as SeedSet.ParseError {
            throw ValidationError(e.description)
        } catch let e as Shard.ParseError {
            throw ValidationError(e.description)
        }
    }
}

/// Where a summary goes: JSON or the human tables on stdout, and the JSON file.
enum SweepOutput {
    static func emit(_ summary: SweepSummary, json: Bool, out: String?) throws {
        if let out {
            do { try summary.jsonText.write(toFile: out, atomically: true, encoding: .utf8) } catch {
                throw ValidationError("cannot write \(out): \(error)")
            }
        }
        if json { print(summary.jsonText, terminator: "") } else { print(SweepText.summary(summary)) }
    }
}
