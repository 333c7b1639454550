import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Scenarios
import SimHarness
import JobSystem

/// `simharness sweep-worker` (hidden): what `sweep` runs in each worker process. Runs one
/// scenario under one profile for the given seeds, in order, and prints one JSON line per run
/// (a `RunRecord`) as soon as it is done, so the parent can count progress and, if this
/// process dies, tell which seed it died on.
struct SweepWorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep-worker",
        abstract: "Run one scenario/profile for some seeds; one JSON line per run (used by `sweep`).",
        shouldDisplay: false)

    @Option(help: "Scenario name.")
    var scenario: String

    @Option(help: "Profile name.")
    var profile: String

    @Option(help: "Seeds, comma-separated (ranges a..b allowed).")
    var seeds: String

    @Flag(help: "Add the threshold-tuning figures to each record (used by `tune`, `validate-thresholds`).")
    var measures = false

    func run() throws {
        guard let s = Catalogue.named(scenario) else { throw ValidationError("no scenario named \(scenario)") }
        guard let p = Profile.named(profile) else {
            if profile.contains(":") {
                do { _ = try Profile(spec: profile) } catch { throw ValidationError(error.description) }
            }
            throw ValidationError("no profile named \(profile)")
        }
        let set: SeedSet
        do { set = try SeedSet(seeds) } catch { throw ValidationError(error.description) }
        for seed in set.seeds {
            // Unbuffered, so the parent sees each run as it ends.
            let record = measures ? s.tuningRecord(seed: seed, profile: p) : RunRecord(s.check(seed: seed, profile: p))
            StandardStreams.output((record.jsonLine + "\n"))
        }
    }
}
