import SimHarness

/// Where two traces part. `index` is the event number (the `i` of the line, 1-based), or 0 for
/// the header line: events are compared first, because the first differing event says more than
/// a differing digest at the end; the header only diverges on its own when every event matched
/// (an edited digest, event count or violation list).
public struct Divergence: Sendable, Equatable, CustomStringConvertible {
    public var index: Int
    /// The line in the recorded trace (nil: the recorded trace ended before this event).
    public var expected: String?
    /// The line the replay produced (nil: the replay ended before this event).
    public var got: String?

    public init(index: Int, expected: String?, got: String?) {
        self.index = index
        self.expected = expected
        self.got = got
    }

    public var description: String {
        let place = index == 0 ? "header" : "event \(index)"
        return "diverged at \(place)\n  expected: \(expected ?? "<end of trace>")\n  got:      \(got ?? "<end of trace>")"
    }
}

/// What a replay found.
public enum ReplayResult: Sendable, Equatable {
    case reproduced(digest: String)
    case diverged(Divergence)

    public var reproduced: Bool {
        if case .reproduced = self { return true }
        return false
    }
}

public enum Replay {
    /// Rebuilds the run from the file's header, runs it with a recorder and compares the
    /// result with the file line by line. Throws only if the header names no run.
    public static func replay(_ file: TraceFile) throws -> ReplayResult {
        let (fresh, _) = try TraceFile.recording(file.header.spec)
        if let d = firstDifference(file.events, fresh.events) { return .diverged(d) }
        if file.header != fresh.header {
            return .diverged(Divergence(index: 0, expected: file.header.line, got: fresh.header.line))
        }
        return .reproduced(digest: fresh.header.digest)
    }

    /// The first position at which two lists of event lines differ, as a divergence of
    /// `got` from `expected`.
    static func firstDifference(_ expected: [String], _ got: [String]) -> Divergence? {
        for k in 0..<max(expected.count, got.count) {
            let e = k < expected.count ? expected[k] : nil
            let g = k < got.count ? got[k] : nil
            if e != g { return Divergence(index: k + 1, expected: e, got: g) }
        }
        return nil
    }

    /// Compares two trace files without running anything.
    public static func diff(_ a: TraceFile, _ b: TraceFile) -> TraceDiff {
        let common = min(a.events.count, b.events.count)
        var prefix = 0
        while prefix < common && a.events[prefix] == b.events[prefix] { prefix += 1 }
        var differing = abs(a.events.count - b.events.count)
        for k in prefix..<common where a.events[k] != b.events[k] { differing += 1 }
        return TraceDiff(
            headerA: a.header.line, headerB: b.header.line, eventsA: a.events.count, eventsB: b.events.count,
            commonPrefix: prefix, differingPositions: differing, first: firstDifference(a.events, b.events))
    }
}

/// How two trace files differ: the first differing event (with A's line as `expected` and B's
/// as `got`) and counts.
public struct TraceDiff: Sendable, Equatable {
    public var headerA: String
    public var headerB: String
    public var eventsA: Int
    public var eventsB: Int
    /// Leading events that are identical in both.
    public var commonPrefix: Int
    /// Positions whose lines differ, counting every line one file has beyond the other's end.
    public var differingPositions: Int
    public var first: Divergence?

    public var headersEqual: Bool { headerA == headerB }
    public var identical: Bool { headersEqual && first == nil }
}
