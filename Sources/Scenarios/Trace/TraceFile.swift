import Engine
import SimHarness
import JobSystem

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A trace file (JSON Lines): line 1 is the header, naming the run (`RunSpec`) and what it
/// produced; then one line per delivered event (`TraceLine`), each with the running digest after
/// it; then nothing else. Every byte follows from the spec, so the same run recorded twice, on
/// any machine, gives the same file: no wall-clock time, host name or path is written.
public struct TraceFile: Sendable, Equatable {
    public var header: TraceHeader
    /// The event lines as written, compared byte for byte on replay.
    public var events: [String]

    public init(header: TraceHeader, events: [String]) {
        self.header = header
        self.events = events
    }

    /// The file's text: the header line, the event lines, a final newline.
    public var text: String {
        ([header.line] + events).joined(separator: "\n") + "\n"
    }

    /// Runs `spec` and records it. Throws if the spec names no run, or if the run has more
    /// events than a recorder keeps (a trace that stopped early could never be replayed).
    public static func record(_ spec: RunSpec) throws -> (text: String, outcome: RunOutcome) {
        let (file, outcome) = try recording(spec)
        return (file.text, outcome)
    }

    /// `record`, keeping the parsed form.
    public static func recording(_ spec: RunSpec) throws -> (file: TraceFile, outcome: RunOutcome) {
        let plan = try spec.plan()
        let recorder = TraceRecorder()
        let (_, outcome) = World.run(plan, trace: recorder)
        guard recorder.dropped == 0 else { throw TraceFileError.tooLong(events: outcome.events, kept: recorder.limit) }
        let header = TraceHeader(
            spec: spec, events: outcome.events, digest: "\(outcome.digest)",
            violations: outcome.violated.map(\.rawValue))
        return (TraceFile(header: header, events: recorder.lines), outcome)
    }

    /// Parses a trace file's text. Event lines are kept as they are (a replay compares bytes);
    /// only the header is decoded.
    public static func parse(_ text: String) throws -> TraceFile {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        guard let first = lines.first else { throw TraceFileError.empty }
        let header = try TraceHeader(parsing: first)
        if let blank = lines.firstIndex(of: "") { throw TraceFileError.blankLine(line: blank + 1) }
        return TraceFile(header: header, events: Array(lines.dropFirst()))
    }

    public static func read(path: String) throws -> TraceFile {
        guard let data = FileManager.default.contents(atPath: path) else { throw TraceFileError.unreadable(path) }
        return try parse(String(decoding: data, as: UTF8.self))
    }

    public func write(to path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8)) else {
            throw TraceFileError.unwritable(path)
        }
    }
}

/// Line 1 of a trace file. Written with its keys in a fixed order (format and kind first, so
/// `head -c 30` identifies the file), each value in canonical JSON.
public struct TraceHeader: Sendable, Equatable {
    /// Bumped when the file layout or the meaning of a field changes.
    public static let format = 1

    public var spec: RunSpec
    public var events: UInt64
    public var digest: String
    /// The violated invariants' names, sorted.
    public var violations: [String]

    public init(spec: RunSpec, events: UInt64, digest: String, violations: [String]) {
        self.spec = spec
        self.events = events
        self.digest = digest
        self.violations = violations
    }

    public var line: String {
        let fields: [(String, JSONValue)] = [
            ("format", .number(Double(Self.format))), ("kind", "header"),
            ("scenario", .string(spec.scenario)), ("seed", RunSpec.seedJSON(spec.seed)),
            ("profile", .string(spec.profile)), ("reduction", spec.reduction.json),
            ("events", .number(Double(events))), ("digest", .string(digest)),
            ("violations", .array(violations.map { .string($0) })),
        ]
        return "{" + fields.map { JSONValue.string($0.0).canonicalString + ":" + $0.1.canonicalString }.joined(separator: ",") + "}"
    }

    public init(parsing line: String) throws {
        let json: JSONValue
        do { json = try JSONValue.parse(line) } catch { throw TraceFileError.badHeader("not JSON: \(error)") }
        guard json["kind"]?.stringValue == "header" else { throw TraceFileError.badHeader("line 1 is not a header") }
        guard let format = json["format"]?.intValue, format == Self.format else {
            throw TraceFileError.badHeader("unsupported format \(json["format"].map { "\($0)" } ?? "missing") (this build reads \(Self.format))")
        }
        let spec = try RunSpec(json: json)
        guard let events = json["events"]?.intValue, events >= 0 else { throw TraceFileError.badHeader("missing events") }
        guard let digest = json["digest"]?.stringValue else { throw TraceFileError.badHeader("missing digest") }
        guard let list = json["violations"]?.arrayValue else { throw TraceFileError.badHeader("missing violations") }
        let violations = list.compactMap(\.stringValue)
        guard violations.count == list.count else { throw TraceFileError.badHeader("violations must be names") }
        self.init(spec: spec, events: UInt64(events), digest: digest, violations: violations)
    }
}

public enum TraceFileError: Error, Equatable, CustomStringConvertible {
    case empty
    case badHeader(String)
    case blankLine(line: Int)
    case tooLong(events: UInt64, kept: Int)
    case unreadable(String)
    case unwritable(String)

    public var description: String {
        switch self {
        case .empty: return "empty trace file"
        case .badHeader(let why): return "bad trace header: \(why)"
        case .blankLine(let n): return "blank line \(n) in trace file"
        case .tooLong(let events, let kept): return "run has \(events) events, more than a trace keeps (\(kept))"
        case .unreadable(let path): return "cannot read \(path)"
        case .unwritable(let path): return "cannot write \(path)"
        }
    }
}
