/// Inline SVG charts over virtual time for the run report: every chart and the event lane
/// share one time axis, so a fault band or a violation mark lines up across all of them.
struct TimeAxis {
    var end: Double
    var width: Double = 1120
    var left: Double = 58
    var right: Double = 18

    var plotWidth: Double { width - left - right }
    func x(_ t: Double) -> Double { left + plotWidth * min(max(t, 0), max(end, 1e-9)) / max(end, 1e-9) }

    /// Tick instants at a round step (seconds, minutes, hours) giving at most about 12 ticks.
    var ticks: [Double] {
        let steps: [Double] = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14_400, 21_600, 43_200, 86_400]
        let step = steps.first { end / $0 <= 12 } ?? max(1, (end / 12).rounded(.up))
        return stride(from: 0, through: end + 1e-9, by: step).map { $0 }
    }
}

/// One series of a chart: its samples (nil: no value, a gap), color and how to join points.
struct Series {
    var name: String
    var color: String
    var values: [(t: Double, v: Double?)]
    /// Counts hold between samples (drawn as steps); rates and delays are joined by lines.
    var step = true
    var dashed = false
}

/// A line chart: y axis with round ticks, shared time axis, fault bands and violation marks
/// behind and above the lines.
struct LineChart {
    var title: String
    var axis: TimeAxis
    var series: [Series]
    var faults: [FaultSpan]
    var violations: [(t: Double, name: String)]
    var height: Double = 190
    let top: Double = 10
    let bottom: Double = 24

    var plotHeight: Double { height - top - bottom }

    func y(_ v: Double, _ maxY: Double) -> Double { top + plotHeight * (1 - v / maxY) }

    /// A round maximum and step for the y axis (1, 2, 2.5, 5 × 10^k; at most 5 intervals);
    /// `integral`: whole steps only (1, 2, 5 × 10^k), for counts.
    static func yScale(_ maxValue: Double, integral: Bool) -> (max: Double, step: Double) {
        guard maxValue > 0, maxValue.isFinite else { return integral ? (1, 1) : (1, 0.25) }
        var magnitude = 1.0
        while magnitude * 10 <= maxValue { magnitude *= 10 }
        while magnitude > maxValue { magnitude /= 10 }
        magnitude /= 10  // so the finest round step with at most 5 intervals is found first
        let multiples: [Double] = integral ? [1, 2, 5, 10, 20, 50, 100] : [1, 2, 2.5, 5, 10, 20, 25, 50, 100]
        for m in multiples {
            let step = m * magnitude
            if integral && step < 1 { continue }
            if maxValue / step <= 5 { return ((maxValue / step).rounded(.up) * step, step) }
        }
        return (maxValue, maxValue / 5)
    }

    func svg() -> String {
        let peak = series.flatMap { $0.values.compactMap(\.v) }.max() ?? 0
        // Integer series never get fractional ticks.
        let integral = series.allSatisfy { $0.step }
        let (maxY, step) = Self.yScale(peak, integral: integral)
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(HTML.coord(axis.width))\" height=\"\(HTML.coord(height))\" "
        s += "viewBox=\"0 0 \(HTML.coord(axis.width)) \(HTML.coord(height))\" role=\"img\" aria-label=\"\(HTML.escape(title))\" class=\"chart\">\n"
        let x0 = axis.left, x1 = axis.width - axis.right, yBottom = top + plotHeight
        // Fault bands and ticks, behind everything.
        for f in faults {
            if let end = f.end, end > f.start {
                let a = axis.x(f.start), b = axis.x(end)
                s += "<rect x=\"\(HTML.coord(a))\" y=\"\(HTML.coord(top))\" width=\"\(HTML.coord(max(1, b - a)))\" height=\"\(HTML.coord(plotHeight))\" fill=\"#f59e0b\" fill-opacity=\"0.14\"><title>\(HTML.escape(f.label))</title></rect>\n"
            } else {
                let a = axis.x(f.start)
                s += "<line x1=\"\(HTML.coord(a))\" x2=\"\(HTML.coord(a))\" y1=\"\(HTML.coord(top))\" y2=\"\(HTML.coord(yBottom))\" stroke=\"#d97706\" stroke-opacity=\"0.45\" stroke-dasharray=\"2 3\"><title>\(HTML.escape(f.label))</title></line>\n"
            }
        }
        // Grid and y labels.
        var v = 0.0
        while v <= maxY + step * 1e-6 {
            let yy = y(v, maxY)
            s += "<line x1=\"\(HTML.coord(x0))\" x2=\"\(HTML.coord(x1))\" y1=\"\(HTML.coord(yy))\" y2=\"\(HTML.coord(yy))\" stroke=\"#d0d7de\" stroke-width=\"\(v == 0 ? 1 : 0.5)\"/>\n"
            s += "<text x=\"\(HTML.coord(x0 - 6))\" y=\"\(HTML.coord(yy + 4))\" text-anchor=\"end\">\(Self.label(v, step))</text>\n"
            v += step
        }
        // Time ticks.
        for t in axis.ticks {
            let xx = axis.x(t)
            s += "<line x1=\"\(HTML.coord(xx))\" x2=\"\(HTML.coord(xx))\" y1=\"\(HTML.coord(yBottom))\" y2=\"\(HTML.coord(yBottom + 4))\" stroke=\"#8c959f\"/>\n"
            s += "<text x=\"\(HTML.coord(xx))\" y=\"\(HTML.coord(yBottom + 16))\" text-anchor=\"middle\">\(HTML.duration(t))</text>\n"
        }
        // Series.
        for se in series {
            for path in Self.paths(se, axis: axis, y: { self.y($0, maxY) }) {
                s += "<path d=\"\(path)\" fill=\"none\" stroke=\"\(se.color)\" stroke-width=\"1.8\" stroke-linejoin=\"round\"\(se.dashed ? " stroke-dasharray=\"5 3\"" : "")><title>\(HTML.escape(se.name))</title></path>\n"
            }
            // A value between two gaps makes no line: a dot shows it.
            for (i, p) in se.values.enumerated() {
                guard let v = p.v, i == 0 || se.values[i - 1].v == nil, i + 1 == se.values.count || se.values[i + 1].v == nil else { continue }
                s += "<circle cx=\"\(HTML.coord(axis.x(p.t)))\" cy=\"\(HTML.coord(y(v, maxY)))\" r=\"2.6\" fill=\"\(se.color)\"><title>\(HTML.escape(se.name)): \(HTML.fixed(v, 2))</title></circle>\n"
            }
        }
        // Violations: a red line and a marker at the top, named in a tooltip (names are
        // listed in the event lane and the violations table).
        for m in violations {
            let xx = axis.x(m.t)
            s += "<g class=\"violation\"><title>\(HTML.escape(m.name)) at \(HTML.duration(m.t))</title>"
            s += "<line x1=\"\(HTML.coord(xx))\" x2=\"\(HTML.coord(xx))\" y1=\"\(HTML.coord(top))\" y2=\"\(HTML.coord(yBottom))\" stroke=\"#cf222e\" stroke-width=\"1\" stroke-opacity=\"0.7\"/>"
            s += "<path d=\"M\(HTML.coord(xx - 4)) \(HTML.coord(top))L\(HTML.coord(xx + 4)) \(HTML.coord(top))L\(HTML.coord(xx)) \(HTML.coord(top + 6))Z\" fill=\"#cf222e\"/></g>\n"
        }
        s += "<rect x=\"\(HTML.coord(x0))\" y=\"\(HTML.coord(top))\" width=\"\(HTML.coord(x1 - x0))\" height=\"\(HTML.coord(plotHeight))\" fill=\"none\" stroke=\"#d0d7de\"/>\n"
        s += "</svg>"
        return s
    }

    /// SVG path data for a series, one path per run of values without gaps.
    static func paths(_ se: Series, axis: TimeAxis, y: (Double) -> Double) -> [String] {
        var out: [String] = []
        var d = ""
        var lastY = 0.0
        for p in se.values {
            guard let v = p.v else {
                if !d.isEmpty { out.append(d) }
                d = ""
                continue
            }
            let xx = HTML.coord(axis.x(p.t)), yy = y(v)
            if d.isEmpty {
                d = "M\(xx) \(HTML.coord(yy))"
            } else if se.step {
                if yy != lastY { d += "H\(xx)V\(HTML.coord(yy))" } else { d += "H\(xx)" }
            } else {
                d += "L\(xx) \(HTML.coord(yy))"
            }
            lastY = yy
        }
        if !d.isEmpty { out.append(d) }
        return out
    }

    static func label(_ v: Double, _ step: Double) -> String {
        if step >= 1 { return String(Int64(v.rounded())) }
        return step >= 0.1 ? HTML.fixed(v, step * 10 == (step * 10).rounded() ? 1 : 2) : HTML.fixed(v, 3)
    }
}
