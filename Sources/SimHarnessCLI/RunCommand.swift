import ArgumentParser
import Engine
import Scenarios
import SimHarness
import JobSystem

/// `simharness run`: one scenario, or all of them under every profile they are checked under.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run scenarios and check their expectations (exit 0 only if all are met).")

    @Argument(help: "Scenario names (see `simharness list`).")
    var scenarios: [String] = []

    @Flag(help: "Every scenario, under fixed, legacy and fixed plus each defect it exposes.")
    var all = false

    @Option(help: "Profile: fixed, legacy or fixed+<defect>. Default: every profile the scenario is checked under.")
    var profile: String?

    @Option(help: "Seed (default: each scenario's own seeds, see `list`).")
    var seed: UInt64?

    @Option(help: "Seeds instead of each scenario's own: a..b (inclusive) and single seeds, comma-separated.")
    var seeds: String?

    @Flag(help: "Stop at the first run that does not meet its expectation (exit 1); what scripts/mutate uses.")
    var failFast = false

    @Option(help: "Only the runs of this shard, i/n (0-based): runs are dealt round-robin in order.")
    var shard: String?

    @Flag(help: "One JSON object per run on stdout.")
    var json = false

    @Flag(help: "Print the violations of each run, and the events that led to the first.")
    var verbose = false

    @Flag(help: "End each run at its first violation.")
    var stopAtFirst = false

    func run() throws {
        let chosen: [Scenario]
        if all || scenarios.isEmpty {
            chosen = Catalogue.runAll
        } else {
            chosen = try scenarios.map { name in
                guard let s = Catalogue.named(name) else { throw ValidationError("no scenario named \(name)") }
                return s
            }
        }
        if seed != nil && seeds != nil { throw ValidationError("--seed and --seeds exclude each other") }
        let explicit: [UInt64]?
        if let seed { explicit = [seed] } else if let seeds {
            do { explicit = try SeedSet(seeds).seeds } catch { throw ValidationError("\(error)") }
        } else {
            explicit = nil
        }
        var part = Shard.whole
        if let shard {
            do { part = try Shard(parsing: shard) } catch { throw ValidationError("\(error)") }
        }
        // Every run: each scenario's first seed under each of its profiles, then each one's
        // second seed, and so on (so a failure that shows on any scenario's first seed shows
        // first); then this shard's share.
        var perScenario: [(scenario: Scenario, seeds: [UInt64], profiles: [Profile])] = []
        for scenario in chosen {
            let profiles: [Profile]
            if let name = profile {
                guard let p = Profile.named(name) else { throw ValidationError("no profile named \(name)") }
                profiles = [p]
            } else {
                profiles = scenario.checkedProfiles
            }
            perScenario.append((scenario, explicit ?? scenario.seeds, profiles))
        }
        var planned: [(scenario: Scenario, seed: UInt64, profile: Profile)] = []
        let rounds = perScenario.map(\.seeds.count).max() ?? 0
        for k in 0..<rounds {
            for entry in perScenario where k < entry.seeds.count {
                for p in entry.profiles { planned.append((entry.scenario, entry.seeds[k], p)) }
            }
        }
        var failures = 0
        var runs = 0
        for (position, run) in planned.enumerated() where position % part.count == part.index {
            let (scenario, seed, p) = run
            // With --fail-fast a run that must be clean ends at its first violation.
            let mustBeClean = p.defects.isEmpty && p.improvements == .all && scenario.planBreaks.isEmpty
            let verdict = scenario.check(seed: seed, profile: p, stopAtFirstViolation: stopAtFirst || (failFast && mustBeClean))
            runs += 1
            if !verdict.passed { failures += 1 }
            if json {
                print(VerdictReport.json(verdict))
            } else {
                print(VerdictReport.line(verdict))
                if verbose || !verdict.passed {
                    for v in verdict.outcome.violations.prefix(8) { print("    \(v)") }
                    if verbose, let first = verdict.outcome.violations.first {
                        print("    events before the first violation:")
                        for line in first.recentEvents { print("      \(line)") }
                    }
                }
            }
            if failFast && failures > 0 { break }
        }
        if !json { print("\(runs - failures) passed, \(failures) failed") }
        if failures > 0 { throw ExitCode(1) }
    }
}

/// How verdicts print.
enum VerdictReport {
    static func line(_ v: Verdict) -> String {
        let o = v.outcome
        let mark = v.passed ? "ok  " : "FAIL"
        let expect = v.mustBeClean ? "expect clean" : "expect " + v.expected.map(\.rawValue).joined(separator: ",")
        let got = v.violated.isEmpty ? "clean" : v.violated.map(\.rawValue).joined(separator: ",")
        return "\(mark) \(v.scenario) [\(v.profile)] seed=\(v.seed) \(expect); got \(got); jobs \(o.jobsCompleted)/\(o.jobsTotal) events=\(o.events) sim=\(Int(o.simSeconds))s digest=\(o.digest)"
    }

    static func json(_ v: Verdict) -> String {
        let o = v.outcome
        let fields: [String: JSONValue] = [
            "scenario": .string(v.scenario), "profile": .string(v.profile), "seed": .number(Double(v.seed)),
            "passed": .bool(v.passed),
            "expected": .array(v.expected.map { .string($0.rawValue) }),
            "violated": .array(v.violated.map { .string($0.rawValue) }),
            "jobsTotal": .number(Double(o.jobsTotal)), "jobsCompleted": .number(Double(o.jobsCompleted)),
            "events": .number(Double(o.events)), "simSeconds": .number(o.simSeconds), "digest": .string("\(o.digest)"),
            "jobLatencyP50": .number(o.measures.jobLatencyP50), "jobLatencyP99": .number(o.measures.jobLatencyP99),
            "duplicateExecutions": .number(Double(o.measures.duplicateExecutions)),
            "wastedComputations": .number(Double(o.measures.wastedComputations)),
            "reclaimedByReaper": .number(Double(o.measures.reclaimedByReaper)),
            "reclaimedBySentinel": .number(Double(o.measures.reclaimedBySentinel)),
            "apiPeakPerSecond": .number(Double(o.measures.apiPeakPerSecond)),
            "fullAssignmentSeconds": o.measures.fullAssignmentSeconds.map { .number($0) } ?? .null,
        ]
        return JSONValue.object(fields).canonicalString
    }
}

struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the scenarios.")
    func run() {
        for s in Catalogue.all {
            let exposes = s.exposes.isEmpty ? "" : "  exposes: " + s.exposes.map(\.rawValue).joined(separator: ", ")
            let needs = s.needs.isEmpty ? "" : "  needs: " + s.needs.map(\.rawValue).joined(separator: ", ")
            print("\(s.name): \(s.summary)\(exposes)\(needs)\(s.inRunAll ? "" : "  (not in run --all)")")
        }
    }
}
