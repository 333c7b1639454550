/// The thresholds file the production sentinel reads, and `simharness validate-thresholds`
/// checks before it is deployed: environment style, so the same lines work as a systemd
/// `EnvironmentFile=`, a Docker `--env-file`, a Kubernetes ConfigMap or plain `export`s.
///
/// ```
/// # today's production values
/// NODE_HEARTBEAT_INTERVAL=15s
/// SENTINEL_ONLINE_WINDOW=30s
/// SENTINEL_RECLAIM_AFTER=60s
/// ```
///
/// One `KEY=VALUE` per line (an `export ` prefix is allowed; no spaces around `=`, no quotes);
/// `#` starts a comment line; blank lines are ignored. Keys are `ThresholdKey.variable`; a key
/// the file leaves out keeps the base's value (the fixed system's unless said otherwise), and
/// `ThresholdsFile.defaulted` says which did. Strict, because a typo in a threshold is an
/// outage: an unknown key, a key given twice, a duration without a unit or a value out of
/// bounds is an error naming the line. Bad input is always an error, never a trap.
public struct ThresholdsFile: Sendable, Equatable {
    public var thresholds: Thresholds
    /// Keys the file did not set (they hold the base's values).
    public var defaulted: [ThresholdKey]

    /// Files larger than this are not thresholds files.
    public static let maxBytes = 64 * 1024

    public struct ParseError: Error, Equatable, CustomStringConvertible {
        /// 1-based line number (0: the file as a whole).
        public var line: Int
        public var message: String
        public init(line: Int, _ message: String) {
            self.line = line
            self.message = message
        }
        public var description: String { line > 0 ? "line \(line): \(message)" : message }
    }

    /// Parses a file's bytes.
    public init(bytes: [UInt8], base: Thresholds = .fixed) throws(ParseError) {
        guard bytes.count <= Self.maxBytes else {
            throw ParseError(line: 0, "file is \(bytes.count) bytes, more than \(Self.maxBytes): not a thresholds file")
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ParseError(line: 0, "file is not UTF-8 text")
        }
        try self.init(text: text, base: base)
    }

    /// Parses a file's text.
    public init(text: String, base: Thresholds = .fixed) throws(ParseError) {
        var t = base
        var seen: [ThresholdKey: Int] = [:]
        var lineNumber = 0
        // Lines end in LF or CRLF ("\r\n" is one Character in Swift, so both are named).
        for raw in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            lineNumber += 1
            var line = Substring(raw)
            if line.last == "\r" { line = line.dropLast() }
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            if trimmed.isEmpty || trimmed.first == "#" { continue }
            guard !line.unicodeScalars.contains(where: { $0.value < 0x20 && $0 != "\t" }) else {
                throw ParseError(line: lineNumber, "control character in line")
            }
            var body = trimmed
            if body.hasPrefix("export ") { body = body.dropFirst(7).drop { $0 == " " } }
            guard let eq = body.firstIndex(of: "=") else {
                throw ParseError(line: lineNumber, "expected KEY=VALUE, got '\(Self.clip(body))'")
            }
            let name = String(body[..<eq])
            let value = String(body[body.index(after: eq)...])
            guard !name.isEmpty else { throw ParseError(line: lineNumber, "missing key before '='") }
            guard name.last != " " && name.last != "\t" && value.first != " " && value.first != "\t" else {
                throw ParseError(line: lineNumber, "no spaces around '=' (environment files do not allow them)")
            }
            guard let key = ThresholdKey.variable(name) else {
                throw ParseError(
                    line: lineNumber,
                    "unknown key \(Self.clip(Substring(name))) (known: \(ThresholdKey.allCases.map(\.variable).joined(separator: ", ")))")
            }
            if let first = seen[key] {
                throw ParseError(line: lineNumber, "\(name) is set twice (first on line \(first))")
            }
            seen[key] = lineNumber
            let trailing = value.drop { $0 != " " && $0 != "\t" }
            guard trailing.allSatisfy({ $0 == " " || $0 == "\t" }) || trailing.isEmpty else {
                throw ParseError(line: lineNumber, "\(name): one value only, no trailing text (comments go on their own line)")
            }
            let cleaned = String(value.prefix { $0 != " " && $0 != "\t" })
            guard !cleaned.isEmpty else { throw ParseError(line: lineNumber, "\(name) has no value") }
            do {
                try t.set(key, text: cleaned)
            } catch {
                throw ParseError(line: lineNumber, "\(name)=\(Self.clip(Substring(cleaned))): \(error.description)")
            }
        }
        thresholds = t
        defaulted = ThresholdKey.allCases.filter { seen[$0] == nil }
    }

    /// Reads the thresholds from a process environment, as the production sentinel does when no
    /// file is given: the same keys and values, other variables ignored (an environment holds
    /// many). Errors name the variable (`line` is 0).
    public init(environment: [String: String], base: Thresholds = .fixed) throws(ParseError) {
        var t = base
        var set: [ThresholdKey] = []
        for key in ThresholdKey.allCases {
            guard let raw = environment[key.variable] else { continue }
            do {
                try t.set(key, text: raw)
            } catch {
                throw ParseError(line: 0, "\(key.variable)=\(Self.clip(Substring(raw))): \(error.description)")
            }
            set.append(key)
        }
        thresholds = t
        defaulted = ThresholdKey.allCases.filter { !set.contains($0) }
    }

    /// At most 60 characters of user input in a message.
    static func clip(_ s: Substring) -> String {
        s.count <= 60 ? String(s) : String(s.prefix(60)) + "…"
    }
}
