import JobSystem

/// Which run: the identity a sweep sorts, merges and checks coverage by.
public struct RunKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var scenario: String
    public var profile: String
    public var seed: UInt64

    public init(scenario: String, profile: String, seed: UInt64) {
        self.scenario = scenario
        self.profile = profile
        self.seed = seed
    }

    public static func < (a: RunKey, b: RunKey) -> Bool {
        (a.scenario, a.profile, a.seed) < (b.scenario, b.profile, b.seed)
    }

    public var cell: Cell { Cell(scenario: scenario, profile: profile) }
    public var description: String { "\(scenario) [\(profile)] seed=\(seed)" }
}

/// A (scenario, profile) pair: one row of the sweep's table.
public struct Cell: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var scenario: String
    public var profile: String

    public init(scenario: String, profile: String) {
        self.scenario = scenario
        self.profile = profile
    }

    public static func < (a: Cell, b: Cell) -> Bool { (a.scenario, a.profile) < (b.scenario, b.profile) }
    public var description: String { "\(scenario) [\(profile)]" }
}

/// One run of a sweep as a worker reports it (one JSON line) and a summary keeps it: enough to
/// tell whether it met its expectation and to replay it (`simharness run <scenario> --profile
/// <profile> --seed <seed>` gives the same digest).
public struct RunRecord: Sendable, Equatable {
    public var key: RunKey
    /// Whether the run met its scenario's expectation under its profile (`Verdict.passed`).
    public var passed: Bool
    /// True for a profile without defects: any violation then fails the run.
    public var mustBeClean: Bool
    public var expected: [String]
    public var violated: [String]
    public var firstViolation: String?
    public var digest: String
    public var events: UInt64
    public var simSeconds: Double
    public var jobsTotal: Int
    public var jobsCompleted: Int
    public var jobLatencyP50: Double
    public var jobLatencyP99: Double
    /// Set when there was no run to judge: the worker died on this seed (its exit status).
    public var error: String?
    /// The threshold-tuning figures, when the sweep asked for them (`tune`, `validate-thresholds`).
    public var tuning: RunMeasures? = nil

    public init(
        key: RunKey, passed: Bool, mustBeClean: Bool, expected: [String], violated: [String], firstViolation: String?,
        digest: String, events: UInt64, simSeconds: Double, jobsTotal: Int, jobsCompleted: Int,
        jobLatencyP50: Double, jobLatencyP99: Double, error: String? = nil
    ) {
        self.key = key
        self.passed = passed
        self.mustBeClean = mustBeClean
        self.expected = expected
        self.violated = violated
        self.firstViolation = firstViolation
        self.digest = digest
        self.events = events
        self.simSeconds = simSeconds
        self.jobsTotal = jobsTotal
        self.jobsCompleted = jobsCompleted
        self.jobLatencyP50 = jobLatencyP50
        self.jobLatencyP99 = jobLatencyP99
        self.error = error
    }

    /// A run that did not finish because its worker process died.
    public static func crashed(_ key: RunKey, _ why: String) -> RunRecord {
        RunRecord(
            key: key, passed: false, mustBeClean: false, expected: [], violated: [], firstViolation: nil, digest: "",
            events: 0, simSeconds: 0, jobsTotal: 0, jobsCompleted: 0, jobLatencyP50: 0, jobLatencyP99: 0, error: why)
    }

    /// Expected invariants the run did not violate.
    public var missing: [String] { expected.filter { !violated.contains($0) } }
    /// Violations a clean run should not have had.
    public var unexpected: [String] { mustBeClean ? violated : [] }

    // MARK: JSON

    public var json: JSONValue {
        var o: [String: JSONValue] = [
            "scenario": .string(key.scenario), "profile": .string(key.profile), "seed": .number(Double(key.seed)),
            "passed": .bool(passed), "mustBeClean": .bool(mustBeClean),
            "expected": .array(expected.map { .string($0) }), "violated": .array(violated.map { .string($0) }),
            "digest": .string(digest), "events": .number(Double(events)), "simSeconds": .number(simSeconds),
            "jobsTotal": .number(Double(jobsTotal)), "jobsCompleted": .number(Double(jobsCompleted)),
            "jobLatencyP50": .number(jobLatencyP50), "jobLatencyP99": .number(jobLatencyP99),
        ]
        if let firstViolation { o["firstViolation"] = .string(firstViolation) }
        if let error { o["error"] = .string(error) }
        if let tuning { o["tuning"] = tuning.json }
        return .object(o)
    }

    /// The worker's output line: canonical JSON, keys sorted.
    public var jsonLine: String { json.canonicalString }

    public struct DecodeError: Error, CustomStringConvertible {
        public var description: String
    }

    public init(json v: JSONValue) throws(DecodeError) {
        func str(_ k: String) throws(DecodeError) -> String {
            guard let s = v[k]?.stringValue else { throw DecodeError(description: "run record without string '\(k)'") }
            return s
        }
        func num(_ k: String) throws(DecodeError) -> Double {
            guard let d = v[k]?.doubleValue else { throw DecodeError(description: "run record without number '\(k)'") }
            return d
        }
        func bool(_ k: String) throws(DecodeError) -> Bool {
            guard let b = v[k]?.boolValue else { throw DecodeError(description: "run record without bool '\(k)'") }
            return b
        }
        func strings(_ k: String) throws(DecodeError) -> [String] {
            guard let a = v[k]?.arrayValue else { throw DecodeError(description: "run record without list '\(k)'") }
            return a.compactMap(\.stringValue)
        }
        let seed = try num("seed")
        guard seed >= 0, seed <= Double(SeedSet.largestSeed), let exact = UInt64(exactly: seed) else {
            throw DecodeError(description: "bad seed \(seed)")
        }
        self.init(
            key: RunKey(scenario: try str("scenario"), profile: try str("profile"), seed: exact),
            passed: try bool("passed"), mustBeClean: try bool("mustBeClean"),
            expected: try strings("expected"), violated: try strings("violated"),
            firstViolation: v["firstViolation"]?.stringValue, digest: try str("digest"),
            events: UInt64(exactly: try num("events")) ?? 0, simSeconds: try num("simSeconds"),
            jobsTotal: Int(exactly: try num("jobsTotal")) ?? 0, jobsCompleted: Int(exactly: try num("jobsCompleted")) ?? 0,
            jobLatencyP50: try num("jobLatencyP50"), jobLatencyP99: try num("jobLatencyP99"),
            error: v["error"]?.stringValue)
        if let t = v["tuning"], !t.isNull { tuning = try RunMeasures(json: t) }
    }

    public init(jsonLine line: String) throws(DecodeError) {
        let value: JSONValue
        do {
            value = try JSONValue.parse(line)
        } catch {
            throw DecodeError(description: "\(error)")
        }
        try self.init(json: value)
    }
}
