/// A production trace of the sentinel: every input the production runner handed the System
/// `Sentinel` (notifications, store replies, timer firings, guild events), at the real time it
/// handed it, and the effects the sentinel answered with. JSON Lines, like the harness's traces:
///
/// ```text
/// {"callTimeoutMicros":10000000,"format":"sentinel-recording","profile":"fixed","version":1}
/// {"at":1796000000000000,"i":0,"input":{"type":"start"}}
/// {"effects":[{"channel":"pending_chunk","type":"listen"},{"afterMicros":30000000,"type":"setWakeTimer"}],"i":0}
/// …
/// ```
///
/// The sentinel is a pure state machine of (inputs, times): the recording is all it needs to
/// make the same decisions again, without the database, the network or the clock. `simharness
/// replay FILE` feeds the same inputs at the same times to the same `Sentinel` and compares
/// each input's effects with the recorded ones (`SentinelReplay`). This is how an incident in
/// production becomes a reproducible run.
public enum SentinelRecording {
    public static let format = "sentinel-recording"
    public static let version = 1

    /// Line 1: what the sentinel was built with. `profile` is a profile spec (`Profile(spec:)`,
    /// e.g. `fixed:online-window=30s`): the runner must name its profile so (`Thresholds.spec`).
    public struct Header: Sendable, Equatable {
        public var profile: String
        public var callTimeout: Interval

        public init(profile: String, callTimeout: Interval) {
            self.profile = profile
            self.callTimeout = callTimeout
        }

        /// The header of a sentinel as built (its profile's name must be a spec).
        public init(_ sentinel: Sentinel) {
            self.init(profile: sentinel.profile.name, callTimeout: sentinel.callTimeout)
        }

        public var json: JSONValue {
            [
                "format": .string(SentinelRecording.format), "version": .number(Double(SentinelRecording.version)),
                "profile": .string(profile), "callTimeoutMicros": .number(Double(callTimeout.micros)),
            ]
        }

        public init(json: JSONValue) throws(RecordingDecodingError) {
            guard json["format"]?.stringValue == SentinelRecording.format else {
                throw RecordingDecodingError("not a sentinel recording (format is not \(SentinelRecording.format))")
            }
            guard json["version"]?.exactInteger == Int64(SentinelRecording.version) else {
                throw RecordingDecodingError("unsupported sentinel recording version (this build reads \(SentinelRecording.version))")
            }
            let r = RecordingReader(json, "header")
            self.init(profile: try r.string("profile"), callTimeout: Interval(micros: try r.int("callTimeoutMicros")))
        }
    }

    /// One line after the header.
    public enum Line: Sendable, Equatable {
        /// Input number `index`, handed to the sentinel at `at`.
        case input(index: Int, at: Timestamp, Sentinel.Input)
        /// The effects the sentinel emitted for input number `index` (possibly none).
        case effects(index: Int, [Sentinel.Effect])

        public var json: JSONValue {
            switch self {
            case .input(let i, let at, let input):
                return ["i": .number(Double(i)), "at": .number(Double(at.micros)), "input": SentinelCodec.json(input)]
            case .effects(let i, let effects):
                return ["i": .number(Double(i)), "effects": .array(effects.map(SentinelCodec.json))]
            }
        }

        public init(json: JSONValue) throws(RecordingDecodingError) {
            let r = RecordingReader(json, "line")
            let index = try r.int("i")
            guard index >= 0, index <= Int64(Int32.max) else { throw RecordingDecodingError("line: i out of range") }
            if let input = json["input"] {
                self = .input(index: Int(index), at: Timestamp(micros: try r.int("at")), try SentinelCodec.input(input))
            } else if let effects = json["effects"]?.arrayValue {
                var decoded: [Sentinel.Effect] = []
                for e in effects { decoded.append(try SentinelCodec.effect(e)) }
                self = .effects(index: Int(index), decoded)
            } else {
                throw RecordingDecodingError("line: neither input nor effects")
            }
        }
    }

    /// A whole recording, parsed: the header and the inputs with their recorded effects.
    public struct Parsed: Sendable, Equatable {
        public struct Step: Sendable, Equatable {
            public var at: Timestamp
            public var input: Sentinel.Input
            /// Nil when the recording ends after the input (the runner stopped before writing them).
            public var effects: [Sentinel.Effect]?
        }
        public var header: Header
        public var steps: [Step]
    }

    /// Whether `firstLine` is a sentinel recording's header (how `simharness replay` tells one
    /// from a simulation trace).
    public static func isRecording(firstLine: some StringProtocol) -> Bool {
        guard let json = try? JSONValue.parse(Array(firstLine.utf8)) else { return false }
        return json["format"]?.stringValue == format
    }

    /// Parses a recording's text. Lines must alternate input i, effects i, with i counting from
    /// 0; the last input may lack its effects line (a runner killed in between).
    public static func parse(_ text: String) throws(RecordingDecodingError) -> Parsed {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }
        guard let first = lines.first else { throw RecordingDecodingError("empty recording") }
        let header = try Header(json: try parseJSON(first, line: 1))
        var steps: [Parsed.Step] = []
        for (n, text) in lines.enumerated().dropFirst() {
            let line: Line
            do { line = try Line(json: try parseJSON(text, line: n + 1)) } catch {
                throw RecordingDecodingError("line \(n + 1): \(error.description)")
            }
            switch line {
            case .input(let i, let at, let input):
                guard i == steps.count, steps.last.map({ $0.effects != nil }) ?? true else {
                    throw RecordingDecodingError("line \(n + 1): input \(i) out of order")
                }
                steps.append(Parsed.Step(at: at, input: input, effects: nil))
            case .effects(let i, let effects):
                guard i == steps.count - 1, steps[i].effects == nil else {
                    throw RecordingDecodingError("line \(n + 1): effects of \(i) out of order")
                }
                steps[i].effects = effects
            }
        }
        return Parsed(header: header, steps: steps)
    }

    static func parseJSON(_ text: Substring, line: Int) throws(RecordingDecodingError) -> JSONValue {
        do { return try JSONValue.parse(Array(text.utf8)) } catch {
            throw RecordingDecodingError("line \(line): not JSON: \(error)")
        }
    }
}

/// Why a recording could not be read.
public struct RecordingDecodingError: Error, Equatable, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
