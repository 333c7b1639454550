import JobSystem

/// How the command-line clients print progress and results.
public enum ResultText {
    /// `[##########..........]  50.0%  5000/10000 iterations  running`
    public static func progressBar(completed: Int, total: Int, status: String, width: Int = 30) -> String {
        let fraction = total > 0 ? Swift.min(Swift.max(Double(completed) / Double(total), 0), 1) : 0
        let filled = Int((fraction * Double(width)).rounded(.down))
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        return "[\(bar)] \(fixed(fraction * 100, decimals: 1).leftPadded(to: 5))%  \(completed)/\(total) iterations  \(status)"
    }

    /// The aggregated result as the portal shows it.
    public static func summary(_ result: SimulationResult) -> String {
        [
            "iterations      \(result.iterations)",
            "fight length    \(result.fightLengthSeconds) s",
            "mean DPS        \(fixed(result.meanDPS, decimals: 2))",
            "std deviation   \(fixed(result.stddev, decimals: 2))",
            "min DPS         \(fixed(result.minDPS, decimals: 2))",
            "max DPS         \(fixed(result.maxDPS, decimals: 2))",
        ].joined(separator: "\n")
    }

    /// `value` with exactly `decimals` digits after the point, rounded half away from zero
    /// (no Foundation formatter, so every platform prints the same digits).
    public static func fixed(_ value: Double, decimals: Int) -> String {
        guard value.isFinite else { return String(value) }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = (value.magnitude * scale).rounded(.toNearestOrAwayFromZero)
        guard scaled < 0x1p63 else { return String(value) }
        let integer = UInt64(scaled)
        let divisor = UInt64(scale)
        var text = String(integer / divisor)
        if decimals > 0 {
            let fraction = String(integer % divisor)
            text += "." + String(repeating: "0", count: decimals - fraction.count) + fraction
        }
        return (value < 0 && integer != 0 ? "-" : "") + text
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
