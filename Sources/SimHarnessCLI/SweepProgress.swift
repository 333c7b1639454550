#if canImport(Glibc)
import Glibc
#endif

/// Progress of long work on stderr: a redrawn bar when stderr is a terminal, otherwise (CI
/// logs) a plain line every tenth of the work or every 30 s, whichever comes first. Never on
/// stdout, which stays the machine-readable or the deterministic human summary.
struct SweepProgress {
    let total: Int
    let label: String
    let isTerminal = isatty(STDERR_FILENO) != 0
    let clock = ContinuousClock()  // nondeterminism-ok: wall clock for progress display only
    let started: ContinuousClock.Instant
    var lastLine: ContinuousClock.Instant
    var lastDone = 0

    init(total: Int, label: String) {
        self.total = total
        self.label = label
        started = clock.now  // nondeterminism-ok: wall clock for progress display only
        lastLine = started
    }

    var elapsed: Double {
        let d = started.duration(to: clock.now)  // nondeterminism-ok: wall clock for progress display only
        return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }

    mutating func update(done: Int, failed: Int) {
        let now = clock.now  // nondeterminism-ok: wall clock for progress display only
        if isTerminal {
            guard now - lastLine > .milliseconds(100) || done == total else { return }
            lastLine = now
            let width = 30
            let filled = total == 0 ? width : done * width / total
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            let t = elapsed
            let eta = done > 0 && done < total ? "  ~\(Self.time(t / Double(done) * Double(total - done))) left" : ""
            write("\r\u{1B}[2K\(label) [\(bar)] \(done)/\(total)  \(failed) failed  \(Self.time(t))\(eta)")
        } else {
            let step = max(1, total / 10)
            guard done / step != lastDone / step || now - lastLine > .seconds(30) || done == total else { return }
            lastLine = now
            lastDone = done
            write("\(label): \(done)/\(total) runs, \(failed) failed, \(Self.time(elapsed))\n")
        }
    }

    /// Ends the bar's line and prints the total time.
    func finish(_ what: String) {
        if isTerminal { write("\r\u{1B}[2K") }
        write("\(what) in \(Self.time(elapsed))\n")
    }

    func write(_ s: String) {
        var bytes = Array(s.utf8)[...]
        while !bytes.isEmpty {
            let n = bytes.withUnsafeBytes { Glibc.write(STDERR_FILENO, $0.baseAddress, $0.count) }
            if n <= 0 { return }
            bytes = bytes.dropFirst(n)
        }
    }

    static func time(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        if s < 60 { return seconds < 10 ? "\(Double(Int(seconds * 10)) / 10)s" : "\(s)s" }
        let m = s / 60, r = s % 60
        return m < 60 ? "\(m)m\(r < 10 ? "0" : "")\(r)s" : "\(m / 60)h\(m % 60 < 10 ? "0" : "")\(m % 60)m"
    }
}
