import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Scenarios
import SimHarness
import JobSystem

/// `simharness report`: one self-contained HTML page for a run (run again with the timeline
/// sampled) or for a sweep summary.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write one self-contained HTML report for a run or a sweep summary.",
        discussion: """
            simharness report <scenario> --profile P --seed S --out run.html
            simharness report --sweep summary.json --out sweep.html
            Exit: 0 the run (or every run of the sweep) met its expectation, 1 not; the page is written either way.
            """)

    @Argument(help: "Scenario to run and report.")
    var scenario: String?

    @Option(help: "Profile of the run (fixed, legacy, fixed+<defect>).")
    var profile: String = "fixed"

    @Option(help: "Seed of the run.")
    var seed: UInt64 = 1

    @Option(help: "Report this sweep summary (from `sweep --out` or `merge --out`) instead of a run.")
    var sweep: String?

    @Option(help: "Timeline sampling period in virtual seconds (\(Self.periods.lowerBound) to \(Int(Self.periods.upperBound))).")
    var period: Double = 5

    @Option(help: "Where to write the HTML page.")
    var out: String = "report.html"

    /// Accepted sampling periods, virtual seconds: a tenth of a second to a day.
    static let periods: ClosedRange<Double> = 0.1...86_400

    func validate() throws {
        if (scenario == nil) == (sweep == nil) { throw ValidationError("give either a scenario or --sweep <summary.json>") }
        // Finite and within a range: `inf` or 1e10 s overflow the integer nanoseconds of virtual
        // time, 1e-300 s rounds to a zero period (and a tiny one would sample without end).
        guard Self.periods.contains(period) else {
            throw ValidationError("--period must be between \(Self.periods.lowerBound) and \(Int(Self.periods.upperBound)) seconds")
        }
    }

    func run() throws {
        let html: String
        let passed: Bool
        if let sweep {
            guard let text = try? String(contentsOfFile: sweep, encoding: .utf8) else { throw ValidationError("cannot read \(sweep)") }
            let summary: SweepSummary
            do { summary = try SweepSummary(jsonText: text) } catch { throw ValidationError("\(sweep): \(error.description)") }
            html = SweepReport(summary: summary).html
            passed = summary.failed == 0
        } else {
            let report = try runReport()
            html = report.html
            passed = report.passed
        }
        do { try html.write(toFile: out, atomically: true, encoding: .utf8) } catch {
            throw ValidationError("cannot write \(out): \(error)")
        }
        print("wrote \(out) (\(html.utf8.count / 1024) KiB)")
        if !passed { throw ExitCode(1) }
    }

    func runReport() throws -> RunReport {
        guard let name = scenario, let s = Catalogue.named(name) else { throw ValidationError("no scenario named \(scenario ?? "")") }
        guard let p = Profile.named(profile) else { throw ValidationError("no profile named \(profile)") }
        // The same run as `run` makes (sampling changes nothing: same digest), with a timeline.
        let verdict = s.check(seed: seed, profile: p, timeline: Timeline(period: .seconds(period)))
        let outcome = verdict.outcome
        return RunReport(
            scenario: s.name, summary: s.summary, profile: p.name, seed: seed, passed: verdict.passed,
            mustBeClean: verdict.mustBeClean, expected: verdict.expected.map(\.rawValue), outcome: outcome,
            faults: FaultSpan.derive(outcome.measures.faults, runEnd: outcome.simSeconds))
    }
}
