import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SimHarness

/// `simharness merge`: puts shard summaries back together and checks their coverage.
///
/// Exit: 0 every planned run is there exactly once and met its expectation; 1 coverage is
/// complete but some run failed; 2 runs are missing, run twice, unplanned or the shards'
/// plans disagree (the merged result cannot be trusted as a whole sweep).
struct SweepMergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Merge shard summaries; report seeds missing or run twice.",
        discussion: "Exit: 0 complete and all passed, 1 complete but some run failed, 2 incomplete or duplicated.")

    @Argument(help: "Shard summary files (from `sweep --out`).")
    var files: [String]

    @Flag(help: "Print the merged summary as JSON on stdout (the coverage report goes to stderr).")
    var json = false

    @Option(help: "Write the merged JSON summary to this file.")
    var out: String?

    func validate() throws {
        if files.isEmpty { throw ValidationError("give at least one summary file") }
    }

    func run() throws {
        var shards: [SweepSummary] = []
        for f in files {
            guard let text = try? String(contentsOfFile: f, encoding: .utf8) else { throw ValidationError("cannot read \(f)") }
            do { shards.append(try SweepSummary(jsonText: text)) } catch {
                throw ValidationError("\(f): \(error.description)")
            }
        }
        let merge = SweepMerge(shards)
        let report = SweepText.merge(merge, inputs: files.count)
        if json {
            // The coverage lines on stderr, the JSON alone on stdout.
            let coverage = report.split(separator: "\n", omittingEmptySubsequences: false).prefix { !$0.isEmpty }
            StandardStreams.error((coverage.joined(separator: "\n") + "\n"))
            try SweepOutput.emit(merge.summary, json: true, out: out)
        } else {
            print(report)
            if let out { try merge.summary.jsonText.write(toFile: out, atomically: true, encoding: .utf8) }
        }
        if !merge.complete { throw ExitCode(2) }
        if merge.summary.failed > 0 { throw ExitCode(1) }
    }
}
