/// The figures a tuning report shows per grid point, each aggregated over the point's runs
/// (every scenario of the set × every seed). All are costs: lower is better.
public enum TuneMeasure: String, Sendable, CaseIterable {
    case jobLatencyP50 = "latency-p50"
    case jobLatencyP99 = "latency-p99"
    case assignmentDelayP99 = "assign-p99"
    case wastedComputations = "wasted"
    case duplicateExecutions = "duplicates"
    case falseReclaims = "false-reclaims"
    case starvation = "starvation"
    case heartbeatLoad = "hb-load"
    case unfinishedJobs = "unfinished"
    case violatingRuns = "violating-runs"

    public var title: String {
        switch self {
        case .jobLatencyP50: return "job latency p50"
        case .jobLatencyP99: return "job latency p99"
        case .assignmentDelayP99: return "assignment delay p99"
        case .wastedComputations: return "wasted compute"
        case .duplicateExecutions: return "duplicate executions"
        case .falseReclaims: return "false reclaims"
        case .starvation: return "starvation"
        case .heartbeatLoad: return "heartbeat load"
        case .unfinishedJobs: return "unfinished jobs"
        case .violatingRuns: return "runs with violations"
        }
    }

    /// How the value is aggregated and its unit.
    public var meaning: String {
        switch self {
        case .jobLatencyP50: return "seconds, mean over runs of each run's median job latency"
        case .jobLatencyP99: return "seconds, mean over runs of each run's 99th-percentile job latency"
        case .assignmentDelayP99: return "seconds from a chunk becoming pending to its assignment, mean over runs of the run's p99"
        case .wastedComputations: return "finished computations whose result was discarded, mean per run"
        case .duplicateExecutions: return "computations of a chunk beyond its first, mean per run"
        case .falseReclaims: return "chunks taken from nodes alive and working on them (queued, computing or reporting), total over all runs"
        case .starvation: return "node-seconds online in the store but ignored by the scheduler while work waited, mean per run"
        case .heartbeatLoad: return "heartbeat requests per second at the store per 1,000 nodes, mean over runs"
        case .unfinishedJobs: return "jobs not completed when the run ended, total over all runs"
        case .violatingRuns: return "runs that broke any invariant"
        }
    }

    /// Whether the figure is a whole count (printed without decimals).
    public var integral: Bool { self == .falseReclaims || self == .unfinishedJobs || self == .violatingRuns }

    public func value(_ p: TunePoint) -> Double {
        switch self {
        case .jobLatencyP50: return p.jobLatencyP50
        case .jobLatencyP99: return p.jobLatencyP99
        case .assignmentDelayP99: return p.assignmentDelayP99
        case .wastedComputations: return p.wastedComputations
        case .duplicateExecutions: return p.duplicateExecutions
        case .falseReclaims: return Double(p.falseReclaims)
        case .starvation: return p.starvationNodeSeconds
        case .heartbeatLoad: return p.heartbeatLoad
        case .unfinishedJobs: return Double(p.unfinishedJobs)
        case .violatingRuns: return Double(p.violatingRuns)
        }
    }

    /// The value as the table prints it.
    public func text(_ p: TunePoint) -> String { format(value(p)) }

    public func format(_ v: Double) -> String {
        if integral { return String(Int64(v.rounded())) }
        return Self.fixed(v, v >= 100 ? 0 : v >= 10 ? 1 : 2)
    }

    static func fixed(_ x: Double, _ digits: Int) -> String {
        guard x.isFinite else { return "-" }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let n = Int64((abs(x) * scale).rounded())
        var s = (x < 0 && n != 0 ? "-" : "") + String(n / Int64(scale))
        if digits > 0 {
            let frac = String(n % Int64(scale))
            s += "." + String(repeating: "0", count: digits - frac.count) + frac
        }
        return s
    }
}
