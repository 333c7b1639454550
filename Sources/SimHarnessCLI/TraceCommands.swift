import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Scenarios
import SimHarness
import JobSystem

/// `simharness record`: run one scenario and write its trace file.
struct RecordCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Run a scenario and write its trace (a header line, then one JSON line per event).")

    @Argument(help: "Scenario name (see `simharness list`).")
    var scenario: String

    @Option(help: "Profile: fixed, legacy or fixed+<defect>.")
    var profile: String = "fixed"

    @Option(help: "Seed.")
    var seed: UInt64 = 1

    @Option(help: "The trace file to write.")
    var out: String

    @Flag(help: "Print the result as one JSON object.")
    var json = false

    func validate() throws {
        try RunSpec(scenario: scenario, seed: seed, profile: profile).validateNames()
    }

    func run() throws {
        let spec = RunSpec(scenario: scenario, seed: seed, profile: profile)
        let (file, _) = try TraceFile.recording(spec)
        try file.write(to: out)
        let bytes = file.text.utf8.count
        if json {
            print(TraceReport.object(["file": .string(out), "bytes": .number(Double(bytes)), "header": TraceReport.json(file.header)]))
        } else {
            print("wrote \(out): \(TraceReport.summary(file.header)) bytes=\(bytes)")
        }
    }
}

/// `simharness replay`: re-run each trace's spec and compare, event by event; or run a
/// production sentinel recording (`sentinel --record FILE`) through the same System sentinel
/// and compare its decisions.
struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay trace files or production sentinel recordings (exit 0 only if every one reproduces; else print its first divergence).")

    @Argument(help: "Trace files, or sentinel recordings (told apart by their first line).")
    var files: [String]

    @Flag(help: "One JSON object per file.")
    var json = false

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("give at least one trace file") }
    }

    func run() throws {
        var failures = 0
        for path in files {
            if let text = Self.recordingText(path) {
                if !replayRecording(path, text) { failures += 1 }
                continue
            }
            let result: ReplayResult
            do {
                result = try Replay.replay(TraceFile.read(path: path))
            } catch {
                failures += 1
                if json {
                    print(TraceReport.object(["file": .string(path), "reproduced": .bool(false), "error": .string("\(error)")]))
                } else {
                    print("ERROR \(path): \(error)")
                }
                continue
            }
            switch result {
            case .reproduced(let digest):
                if json {
                    print(TraceReport.object(["file": .string(path), "reproduced": .bool(true), "digest": .string(digest)]))
                } else {
                    print("ok   \(path) digest=\(digest)")
                }
            case .diverged(let d):
                failures += 1
                if json {
                    print(TraceReport.object(["file": .string(path), "reproduced": .bool(false), "divergence": TraceReport.json(d)]))
                } else {
                    print("DIVERGED \(path) \(d)")
                }
            }
        }
        if !json { print("\(files.count - failures) reproduced, \(failures) did not") }
        if failures > 0 { throw ExitCode(1) }
    }
}

extension ReplayCommand {
    /// The file's text if it is a sentinel recording (its first line says so).
    static func recordingText(_ path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let text = String(decoding: data, as: UTF8.self)
        return SentinelRecording.isRecording(firstLine: text.prefix { $0 != "\n" }) ? text : nil
    }

    /// Replays a production recording; prints "same decisions" or the first divergence.
    func replayRecording(_ path: String, _ text: String) -> Bool {
        let result: SentinelReplay.Result
        do {
            result = try SentinelReplay.replay(try SentinelRecording.parse(text))
        } catch {
            if json {
                print(TraceReport.object(["file": .string(path), "kind": "sentinel-recording", "reproduced": .bool(false), "error": .string(error.description)]))
            } else {
                print("ERROR \(path): \(error.description)")
            }
            return false
        }
        switch result {
        case .sameDecisions(let inputs):
            if json {
                print(TraceReport.object(["file": .string(path), "kind": "sentinel-recording", "reproduced": .bool(true), "inputs": .number(Double(inputs))]))
            } else {
                print("ok   \(path) same decisions (\(inputs) inputs)")
            }
            return true
        case .diverged(let d):
            let expected = JSONValue.array(d.expected.map(SentinelCodec.json))
            let actual = JSONValue.array(d.actual.map(SentinelCodec.json))
            if json {
                print(TraceReport.object([
                    "file": .string(path), "kind": "sentinel-recording", "reproduced": .bool(false),
                    "divergence": [
                        "index": .number(Double(d.index)), "atMicros": .number(Double(d.at.micros)),
                        "input": SentinelCodec.json(d.input), "expected": expected, "actual": actual,
                    ],
                ]))
            } else {
                print("DIVERGED \(path) at input \(d.index) (at \(d.at.micros) µs)")
                print("  input:    \(SentinelCodec.json(d.input).canonicalString)")
                print("  expected: \(expected.canonicalString)")
                print("  actual:   \(actual.canonicalString)")
            }
            return false
        }
    }
}

/// `simharness diff`: compare two trace files without running anything.
struct DiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Compare two trace files: their first differing event and counts (exit 0 only if identical).")

    @Argument(help: "The first trace file (its lines print as `expected`).")
    var a: String

    @Argument(help: "The second trace file (its lines print as `got`).")
    var b: String

    @Flag(help: "Print the result as one JSON object.")
    var json = false

    func run() throws {
        let d = Replay.diff(try TraceFile.read(path: a), try TraceFile.read(path: b))
        if json {
            var fields: [String: JSONValue] = [
                "identical": .bool(d.identical), "headersEqual": .bool(d.headersEqual),
                "eventsA": .number(Double(d.eventsA)), "eventsB": .number(Double(d.eventsB)),
                "commonPrefix": .number(Double(d.commonPrefix)), "differingPositions": .number(Double(d.differingPositions)),
            ]
            if let first = d.first { fields["first"] = TraceReport.json(first) }
            print(JSONValue.object(fields).canonicalString)
        } else {
            if !d.headersEqual { print("headers differ\n  a: \(d.headerA)\n  b: \(d.headerB)") }
            print("events a=\(d.eventsA) b=\(d.eventsB) common-prefix=\(d.commonPrefix) differing=\(d.differingPositions)")
            if let first = d.first { print("first difference at event \(first.index)\n  a: \(first.expected ?? "<end of trace>")\n  b: \(first.got ?? "<end of trace>")") }
            print(d.identical ? "identical" : "different")
        }
        if !d.identical { throw ExitCode(1) }
    }
}

/// `simharness shrink`: reduce a failing run to a minimal one and write it as a trace.
struct ShrinkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shrink",
        abstract: "Shrink a failing run (fault schedule, fleet, workload) to a minimal one that violates the same invariant.")

    @Argument(help: "Scenario name (see `simharness list`).")
    var scenario: String

    @Option(help: "Profile: fixed, legacy or fixed+<defect>.")
    var profile: String

    @Option(help: "Seed.")
    var seed: UInt64 = 1

    @Option(help: "The invariant to keep violating (default: the run's first violation).")
    var invariant: String?

    @Option(name: .customLong("max-runs"), help: "Most runs to spend.")
    var maxRuns: Int = 200

    @Option(help: "The trace file of the minimal run.")
    var out: String

    @Flag(help: "Print the result as one JSON object.")
    var json = false

    func validate() throws {
        if let name = invariant, Invariant(rawValue: name) == nil {
            throw ValidationError("no invariant named \(name) (known: \(Invariant.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        guard maxRuns >= 1 else { throw ValidationError("--max-runs must be at least 1") }
        try RunSpec(scenario: scenario, seed: seed, profile: profile).validateNames()
    }

    func run() throws {
        let spec = RunSpec(scenario: scenario, seed: seed, profile: profile)
        let r = try Shrinker(maxRuns: maxRuns).shrink(spec, invariant: invariant.flatMap(Invariant.init(rawValue:)))
        let (file, outcome) = try TraceFile.recording(r.minimal)
        try file.write(to: out)
        if json {
            print(
                TraceReport.object([
                    "file": .string(out), "invariant": .string(r.invariant.rawValue), "runs": .number(Double(r.runs)),
                    "exhausted": .bool(r.exhausted), "before": TraceReport.json(r.originalSize, events: r.originalOutcome.events),
                    "after": TraceReport.json(r.size, events: outcome.events), "header": TraceReport.json(file.header),
                ]))
        } else {
            print("shrunk \(scenario) [\(profile)] seed=\(seed) keeping \(r.invariant.rawValue) in \(r.runs) runs\(r.exhausted ? " (budget spent)" : "")")
            print("  before: \(r.originalSize) events=\(r.originalOutcome.events)")
            print("  after:  \(r.size) events=\(outcome.events)")
            print("  reduction: \(r.minimal.reduction.json.canonicalString)")
            print("wrote \(out): \(TraceReport.summary(file.header))")
        }
    }
}

/// How trace results print.
enum TraceReport {
    static func summary(_ h: TraceHeader) -> String {
        let violations = h.violations.isEmpty ? "none" : h.violations.joined(separator: ",")
        return "\(h.spec.scenario) [\(h.spec.profile)] seed=\(h.spec.seed) events=\(h.events) digest=\(h.digest) violations=\(violations)"
    }

    static func object(_ fields: [String: JSONValue]) -> String {
        JSONValue.object(fields).canonicalString
    }

    /// The header as a JSON value (its line is JSON written in a fixed key order).
    static func json(_ h: TraceHeader) -> JSONValue {
        (try? JSONValue.parse(h.line)) ?? .null
    }

    static func json(_ d: Divergence) -> JSONValue {
        ["index": .number(Double(d.index)), "expected": d.expected.map { .string($0) } ?? .null, "got": d.got.map { .string($0) } ?? .null]
    }

    static func json(_ s: RunSize, events: UInt64) -> JSONValue {
        [
            "actions": .number(Double(s.actions)), "nodes": .number(Double(s.nodes)),
            "submissions": .number(Double(s.submissions)), "events": .number(Double(events)),
        ]
    }
}

extension RunSpec {
    /// Unknown scenario or profile names as a usage error (exit 64), before anything runs.
    func validateNames() throws {
        do {
            _ = try resolvedScenario()
            _ = try resolvedProfile()
        } catch {
            throw ValidationError(error.description)
        }
    }
}
