import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Scenarios
import SimHarness
import JobSystem

/// `simharness validate-thresholds FILE`: checks the thresholds file an operator is about to
/// deploy. First the static rules (each broken one with its name and reason), then the
/// simulation evidence: the scenario set over the seeds under the file's thresholds and under
/// the baseline's, compared figure by figure.
///
/// Exit: 0 every rule holds and no violation, unfinished job, false reclaim or regression
/// appeared; 1 otherwise (with the reasons and the `simharness run` command of each seed that
/// shows one); 2 the simulation could not run; 64 bad usage or a malformed file.
struct ValidateThresholdsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate-thresholds",
        abstract: "Validate a thresholds file: static rules, then simulation against a baseline.",
        discussion: """
            The file is the sentinel's environment file (KEY=VALUE lines, durations like 30s, 5m, 50ms; \
            see examples/thresholds/). Keys it leaves out keep the fixed system's values. The baseline is \
            the fixed system's thresholds unless --baseline names another file (e.g. what runs today).
            Exit: 0 valid, 1 not valid, 2 the simulation could not run, 64 bad usage or a malformed file.
            """)

    @Argument(help: "The thresholds file to validate.")
    var file: String

    @Option(help: "The thresholds file to compare against (default: the fixed system's values).")
    var baseline: String?

    @Option(help: "Comma-separated scenarios (default: \(TuneSupport.defaultScenarioNames.joined(separator: ",")), those that exist).")
    var scenarios: String?

    @Option(help: "Seeds: a..b (inclusive) and single seeds, comma-separated.")
    var seeds: String = "1..20"

    @Option(help: "Worker processes (default: the number of cores).")
    var workers: Int?

    @Option(help: "How much worse than the baseline a figure may be, in percent.")
    var tolerance: Double = 10

    @Flag(name: .customLong("static-only"), help: "Check the static rules only; no simulation.")
    var staticOnly = false

    @Flag(help: "Print the verdict as JSON on stdout.")
    var json = false

    @OptionGroup var assumptionOptions: AssumptionOptions

    func validate() throws {
        if let workers, workers < 1 { throw ValidationError("--workers must be at least 1") }
        if !(tolerance >= 0 && tolerance <= 1000) { throw ValidationError("--tolerance must be a percentage in 0...1000") }
    }

    func run() throws {
        let assumptions = try assumptionOptions.assumptions()
        let candidate = try TuneSupport.readThresholds(file)
        let base = try baseline.map { try TuneSupport.readThresholds($0).thresholds } ?? .fixed
        let candidateSpec = candidate.thresholds.spec(base: .fixed)
        let baselineSpec = base.spec(base: .fixed)
        if !candidate.defaulted.isEmpty && !json {
            print("\(file): not set, the fixed system's values are used: " + candidate.defaulted.map { "\($0.variable)=\(candidate.thresholds.text($0))" }.joined(separator: " "))
        }
        var sweep = SweepSummary(plan: SweepPlan(cells: [], seeds: try seedSet(), shard: .whole), runs: [])
        if !staticOnly {
            let names = try TuneSupport.scenarios(scenarios)
            var cells = names.map { Cell(scenario: $0, profile: candidateSpec) }
            if baselineSpec != candidateSpec { cells += names.map { Cell(scenario: $0, profile: baselineSpec) } }
            sweep = try TuneSupport.sweep(cells: cells, seeds: try seedSet(), shard: .whole, workers: workers, label: "validate")
        }
        let verdict = ThresholdValidation(
            sweep: sweep, candidate: candidateSpec, baseline: baselineSpec, thresholds: candidate.thresholds,
            assumptions: assumptions, tolerance: tolerance / 100)
        if json { print(verdict.json.canonicalString) } else { print(verdict.text) }
        if !verdict.passed { throw ExitCode(1) }
    }

    func seedSet() throws -> SeedSet {
        do { return try SeedSet(seeds) } catch { throw ValidationError(error.description) }
    }
}
