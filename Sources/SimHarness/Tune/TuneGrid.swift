import JobSystem

/// The grid a tuning sweep covers: for some threshold keys a list of values (the axes), every
/// other key at the base's value. Points are the cartesian product, the last axis varying
/// fastest, so the order is the order the axes were given in.
///
/// The offline marking follows the online window unless it is an axis of its own: varying the
/// scheduler's window alone would make every point but one mismatched (today's defect), which
/// is not what anyone tuning the window means.
public struct TuneGrid: Sendable, Equatable {
    public struct Axis: Sendable, Equatable {
        public var key: ThresholdKey
        public var values: [ThresholdValue]
        public init(key: ThresholdKey, values: [ThresholdValue]) {
            self.key = key
            self.values = values
        }
    }

    public var base: Thresholds
    public var axes: [Axis]

    /// A grid beyond this many points is a typo, not a plan.
    public static let maxPoints = 10_000

    public struct ParseError: Error, Equatable, CustomStringConvertible {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    public init(base: Thresholds = .fixed, axes: [Axis]) throws(ParseError) {
        var seen: Set<ThresholdKey> = []
        var count = 1
        for a in axes {
            guard seen.insert(a.key).inserted else { throw ParseError("\(a.key.name) is given twice") }
            guard !a.values.isEmpty else { throw ParseError("\(a.key.name) has no values") }
            guard Set(a.values).count == a.values.count else { throw ParseError("\(a.key.name) lists a value twice") }
            count *= a.values.count
            guard count <= Self.maxPoints else { throw ParseError("the grid has more than \(Self.maxPoints) points") }
        }
        self.base = base
        self.axes = axes
    }

    /// Parses one axis from its flag text: `10s,15s,30s` (or `off` among the reclaim's values).
    public static func axis(_ key: ThresholdKey, _ list: String) throws(ParseError) -> Axis {
        var values: [ThresholdValue] = []
        for item in list.split(separator: ",", omittingEmptySubsequences: false) {
            let text = String(item.filter { $0 != " " })
            do { values.append(try key.parse(text)) } catch {
                throw ParseError("--\(key.name) \(list): '\(text)': \(error.description)")
            }
        }
        return Axis(key: key, values: values)
    }

    /// Parses a grid file: environment style like a thresholds file, each key with one value
    /// (it sets the base) or a comma-separated list (an axis), e.g.
    /// `NODE_HEARTBEAT_INTERVAL=10s,15s,30s`.
    public static func parse(file text: String, base: Thresholds = .fixed) throws(ParseError) -> TuneGrid {
        var b = base
        var axes: [Axis] = []
        var seen: [ThresholdKey: Int] = [:]
        var lineNumber = 0
        for raw in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            lineNumber += 1
            var line = raw.drop { $0 == " " || $0 == "\t" }
            while line.last == " " || line.last == "\t" || line.last == "\r" { line = line.dropLast() }
            if line.isEmpty || line.first == "#" { continue }
            guard let eq = line.firstIndex(of: "=") else {
                throw ParseError("line \(lineNumber): expected KEY=VALUE[,VALUE...]")
            }
            let name = String(line[..<eq])
            guard let key = ThresholdKey.variable(name) ?? ThresholdKey.named(name) else {
                throw ParseError("line \(lineNumber): unknown key \(name.prefix(60)) (known: \(ThresholdKey.allCases.map(\.variable).joined(separator: ", ")))")
            }
            if let first = seen[key] { throw ParseError("line \(lineNumber): \(name) is set twice (first on line \(first))") }
            seen[key] = lineNumber
            let list = String(line[line.index(after: eq)...])
            let axis: Axis
            do { axis = try Self.axis(key, list) } catch { throw ParseError("line \(lineNumber): \(error.description)") }
            if axis.values.count == 1 { b.set(key, axis.values[0]) } else { axes.append(axis) }
        }
        do { return try TuneGrid(base: b, axes: axes) } catch { throw ParseError(error.description) }
    }

    public var pointCount: Int { axes.reduce(1) { $0 * $1.values.count } }

    /// Whether the offline marking follows the online window at every point.
    public var offlineFollowsWindow: Bool { !axes.contains { $0.key == .offlineAfter } }

    /// Every point, in grid order.
    public var points: [Thresholds] {
        var out: [Thresholds] = []
        out.reserveCapacity(pointCount)
        var index = [Int](repeating: 0, count: axes.count)
        for _ in 0..<pointCount {
            var t = base
            for (a, i) in zip(axes, index) { t.set(a.key, a.values[i]) }
            if offlineFollowsWindow && axes.contains(where: { $0.key == .onlineWindow }) { t.offlineAfter = t.onlineWindow }
            out.append(t)
            var k = axes.count - 1
            while k >= 0 {
                index[k] += 1
                if index[k] < axes[k].values.count { break }
                index[k] = 0
                k -= 1
            }
        }
        return out
    }
}
