import JobSystem

/// The HTML page of a tuning sweep: the recommendation, a heat map per measure over two chosen
/// axes, the Pareto front of job latency against wasted compute and heartbeat load, every
/// point's figures, and each problem with the commands that reproduce it. Self-contained
/// (inline SVG and CSS, no scripts), like the other reports.
public struct TuneReport {
    public var summary: TuneSummary
    public var x: ThresholdKey
    public var y: ThresholdKey

    /// `x`, `y`: the heat maps' axes (default: the first two varying keys).
    public init(summary: TuneSummary, x: ThresholdKey? = nil, y: ThresholdKey? = nil) {
        self.summary = summary
        let axes = summary.axes + ThresholdKey.allCases.filter { !summary.axes.contains($0) }
        self.x = x ?? axes[0]
        self.y = y ?? axes.first { $0 != (x ?? axes[0]) }!
    }

    public var html: String {
        let s = summary
        let ok = s.recommended != nil
        var b = "<h1>Threshold tuning <span class=\"badge \(ok ? "pass" : "fail")\">\(ok ? "RECOMMENDATION" : "NO ACCEPTABLE POINT")</span></h1>\n"
        let scenarios = Array(Set(s.sweep.plan.cells.map(\.scenario))).sorted()
        b += "<dl class=\"facts\">\n"
        let facts: [(String, String)] = [
            ("grid", "\(s.points.count) points over \(s.axes.isEmpty ? "no axis" : s.axes.map(\.name).joined(separator: " × "))"),
            ("scenarios", scenarios.joined(separator: ", ")),
            ("seeds", s.sweep.plan.seeds.spec + " (\(s.sweep.plan.seeds.seeds.count))"),
            ("runs", "\(s.sweep.runs.count)"),
            ("acceptable points", "\(s.points.filter(\.acceptable).count): every static rule holds, no invariant broken, no job unfinished, no false reclaim"),
        ]
        for (k, v) in facts { b += "<dt>\(k)</dt><dd>\(HTML.escape(v))</dd>\n" }
        b += "</dl>\n"
        b += recommendation
        b += "<h2>Heat maps: \(HTML.escape(x.name)) × \(HTML.escape(y.name))</h2>\n"
        b += "<p class=\"sub\">\(HTML.escape(sliceNote)) Green is best, red worst, within each map (pale when the spread is under a quarter of the values); a red outline marks a point that breaks a static rule, a dashed one a point with violations, unfinished jobs or false reclaims; ★ is the recommendation.</p>\n"
        b += "<div class=\"cols\">\n"
        for m in TuneMeasure.allCases { b += "<div>" + heatMap(m) + "</div>\n" }
        b += "</div>\n"
        b += "<h2>Pareto front: job latency p99 against wasted compute and heartbeat load</h2>\n"
        b += "<p class=\"sub\">Job latency p99 against heartbeat load; a dot's colour is its wasted compute (white: none, red: the most). The front (acceptable points no other acceptable point matches or beats on all three and beats on one) is drawn large, labelled and joined; unacceptable points are grey crosses. Points with equal figures overlap.</p>\n"
        b += pareto + "\n"
        b += table
        b += problems
        return HTML.page(title: "Threshold tuning", body: b)
    }

    var anchor: TunePoint { summary.recommended.map { summary.points[$0] } ?? summary.points[0] }

    var sliceNote: String {
        let others = summary.axes.filter { $0 != x && $0 != y }
        guard !others.isEmpty else { return "Every point of the grid." }
        let at = others.map { "\($0.name)=\(anchor.thresholds.text($0))" }.joined(separator: ", ")
        return "A slice through the \(summary.recommended == nil ? "first point" : "recommended point"): \(at)."
    }

    /// The points of the slice: equal to the anchor on every key but x and y.
    var slice: [(Int, TunePoint)] {
        let keep = ThresholdKey.allCases.filter { $0 != x && $0 != y && $0 != .offlineAfter }
        return summary.points.enumerated().filter { _, p in keep.allSatisfy { p.thresholds.value($0) == anchor.thresholds.value($0) } }
    }

    static func sortKey(_ v: ThresholdValue) -> Int64 {
        switch v {
        case .duration(let d): return d.micros
        case .count(let n): return Int64(n)
        case .off: return .max
        }
    }

    func heatMap(_ m: TuneMeasure) -> String {
        let pts = slice
        let xs = Array(Set(pts.map { $0.1.thresholds.value(x) })).sorted { Self.sortKey($0) < Self.sortKey($1) }
        let ys = Array(Set(pts.map { $0.1.thresholds.value(y) })).sorted { Self.sortKey($0) < Self.sortKey($1) }
        let values = pts.map { m.value($0.1) }
        let lo = values.min() ?? 0, hi = values.max() ?? 0
        // A spread that is small against the values themselves stays pale: colour shows
        // differences that matter, not noise (full colour from a 25 % spread up).
        let intensity = hi > 0 ? min(1, (hi - lo) / hi / 0.25) : 0
        let cw = max(34.0, min(70.0, 460.0 / Double(max(1, xs.count)))), ch = 26.0
        let left = 64.0, top = 38.0
        let width = left + cw * Double(xs.count) + 10, height = top + ch * Double(ys.count) + 34
        var h = "<h3>\(HTML.escape(m.title))</h3><p class=\"legend\">\(HTML.escape(m.meaning)); range \(HTML.escape(m.format(lo)))–\(HTML.escape(m.format(hi)))</p>\n"
        h += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(HTML.coord(width))\" height=\"\(HTML.coord(height))\" viewBox=\"0 0 \(HTML.coord(width)) \(HTML.coord(height))\" role=\"img\" aria-label=\"\(HTML.escape(m.title)) heat map\">\n"
        func text(_ v: ThresholdValue, _ k: ThresholdKey) -> String {
            var t = Thresholds.fixed
            t.set(k, v)
            return t.text(k)
        }
        for (i, xv) in xs.enumerated() {
            h += "<text x=\"\(HTML.coord(left + cw * (Double(i) + 0.5)))\" y=\"\(HTML.coord(top - 6))\" text-anchor=\"middle\">\(HTML.escape(text(xv, x)))</text>\n"
        }
        for (j, yv) in ys.enumerated() {
            h += "<text x=\"\(HTML.coord(left - 6))\" y=\"\(HTML.coord(top + ch * (Double(j) + 0.5) + 4))\" text-anchor=\"end\">\(HTML.escape(text(yv, y)))</text>\n"
        }
        h += "<text x=\"\(HTML.coord(left + cw * Double(xs.count) / 2))\" y=\"\(HTML.coord(top + ch * Double(ys.count) + 18))\" text-anchor=\"middle\">\(HTML.escape(x.name)) →</text>\n"
        h += "<text x=\"4\" y=\"12\">\(HTML.escape(y.name)) ↓</text>\n"
        for (idx, p) in pts {
            guard let i = xs.firstIndex(of: p.thresholds.value(x)), let j = ys.firstIndex(of: p.thresholds.value(y)) else { continue }
            let v = m.value(p)
            let f = hi > lo ? (v - lo) / (hi - lo) * intensity : 0
            let px = left + cw * Double(i), py = top + ch * Double(j)
            var stroke = ""
            if !p.ruleFailures.isEmpty {
                stroke = " stroke=\"#cf222e\" stroke-width=\"2\""
            } else if !p.acceptable {
                stroke = " stroke=\"#24292f\" stroke-width=\"1.5\" stroke-dasharray=\"3 2\""
            }
            var tip = "point \(idx + 1): \(p.spec)\n\(m.title) \(m.format(v))"
            if !p.ruleFailures.isEmpty { tip += "\nbreaks " + p.ruleFailures.map(\.rule.rawValue).joined(separator: ", ") }
            if !p.violations.isEmpty { tip += "\nviolations: " + p.violations.keys.sorted().joined(separator: ", ") }
            h += "<rect x=\"\(HTML.coord(px + 1))\" y=\"\(HTML.coord(py + 1))\" width=\"\(HTML.coord(cw - 2))\" height=\"\(HTML.coord(ch - 2))\" fill=\"\(Self.color(f))\"\(stroke)><title>\(HTML.escape(tip))</title></rect>\n"
            let star = summary.recommended == idx ? "★" : ""
            h += "<text x=\"\(HTML.coord(px + cw / 2))\" y=\"\(HTML.coord(py + ch / 2 + 4))\" text-anchor=\"middle\" style=\"fill:#1f2328\">\(star)\(HTML.escape(m.format(v)))</text>\n"
        }
        return h + "</svg>"
    }

    /// Green (0) through yellow to red (1).
    static func color(_ f: Double) -> String {
        let t = min(max(f, 0), 1)
        let (r, g, b): (Double, Double, Double) =
            t < 0.5
            ? (99 + (250 - 99) * t * 2, 190 + (219 - 190) * t * 2, 123 + (120 - 123) * t * 2)
            : (250 + (229 - 250) * (t - 0.5) * 2, 219 + (115 - 219) * (t - 0.5) * 2, 120 + (115 - 120) * (t - 0.5) * 2)
        func hex(_ v: Double) -> String {
            let n = Int(v.rounded())
            let d = Array("0123456789abcdef")
            return String([d[n / 16], d[n % 16]])
        }
        return "#" + hex(r) + hex(g) + hex(b)
    }

    /// Job latency p99 (x) against heartbeat load (y), wasted compute as the dot's colour
    /// (white: none, red: the most): the three objectives of the front in one picture.
    var pareto: String {
        let s = summary
        let pts = Array(s.points.enumerated())
        let lat = pts.map { TuneMeasure.jobLatencyP99.value($0.1) }
        let load = pts.map { TuneMeasure.heartbeatLoad.value($0.1) }
        let waste = pts.map { TuneMeasure.wastedComputations.value($0.1) }
        func padded(_ xs: [Double]) -> (Double, Double) {
            let lo = xs.min() ?? 0, hi = xs.max() ?? 1
            let pad = max((hi - lo) * 0.08, max(abs(hi) * 0.02, 1e-6))
            return (lo - pad, hi + pad)
        }
        let (x0, x1) = padded(lat), (y0, y1) = padded(load)
        let maxWaste = waste.max() ?? 0
        let left = 64.0, top = 16.0, w = 760.0, hgt = 300.0
        func px(_ v: Double) -> Double { left + w * (v - x0) / (x1 - x0) }
        func py(_ v: Double) -> Double { top + hgt * (1 - (v - y0) / (y1 - y0)) }
        var h = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(HTML.coord(left + w + 200))\" height=\"\(HTML.coord(top + hgt + 44))\" viewBox=\"0 0 \(HTML.coord(left + w + 200)) \(HTML.coord(top + hgt + 44))\" role=\"img\" aria-label=\"Pareto front\">\n"
        h += "<rect x=\"\(HTML.coord(left))\" y=\"\(HTML.coord(top))\" width=\"\(HTML.coord(w))\" height=\"\(HTML.coord(hgt))\" fill=\"none\" stroke=\"#d0d7de\"/>\n"
        for k in 0...4 {
            let xv = x0 + (x1 - x0) * Double(k) / 4, yv = y0 + (y1 - y0) * Double(k) / 4
            h += "<text x=\"\(HTML.coord(px(xv)))\" y=\"\(HTML.coord(top + hgt + 16))\" text-anchor=\"middle\">\(HTML.fixed(xv, 1))s</text>\n"
            h += "<text x=\"\(HTML.coord(left - 6))\" y=\"\(HTML.coord(py(yv) + 4))\" text-anchor=\"end\">\(HTML.fixed(yv, 1))</text>\n"
        }
        h += "<text x=\"\(HTML.coord(left + w / 2))\" y=\"\(HTML.coord(top + hgt + 36))\" text-anchor=\"middle\">job latency p99 (s) →</text>\n"
        h += "<text x=\"\(HTML.coord(left + 4))\" y=\"\(HTML.coord(top + 12))\">↑ heartbeat load (requests/s per 1,000 nodes)</text>\n"
        let front = s.pareto.sorted { (lat[$0], load[$0]) < (lat[$1], load[$1]) }
        if front.count > 1 {
            let d = front.map { "\(HTML.coord(px(lat[$0]))),\(HTML.coord(py(load[$0])))" }.joined(separator: " ")
            h += "<polyline points=\"\(d)\" fill=\"none\" stroke=\"#0969da\" stroke-width=\"1.5\" stroke-dasharray=\"4 3\"/>\n"
        }
        for (i, p) in pts {
            let cx = px(lat[i]), cy = py(load[i])
            let tip = "point \(i + 1): \(p.spec)\nlatency p99 \(HTML.fixed(lat[i], 1))s, heartbeat load \(HTML.fixed(load[i], 1))/s per 1,000 nodes, wasted \(HTML.fixed(waste[i], 2)) per run"
            if !p.acceptable {
                h += "<path d=\"M\(HTML.coord(cx - 4)) \(HTML.coord(cy - 4))l8 8m0 -8l-8 8\" stroke=\"#8c959f\" stroke-width=\"1.2\"><title>\(HTML.escape(tip + "\nnot acceptable"))</title></path>\n"
                continue
            }
            let f = maxWaste > 0 ? waste[i] / maxWaste : 0
            let fill = "rgb(255,\(Int(255 - 160 * f)),\(Int(255 - 160 * f)))"
            let onFront = s.pareto.contains(i)
            h += "<circle cx=\"\(HTML.coord(cx))\" cy=\"\(HTML.coord(cy))\" r=\"\(onFront ? 7 : 4)\" fill=\"\(fill)\" stroke=\"\(onFront ? "#0969da" : "#57606a")\" stroke-width=\"\(onFront ? 2 : 1)\"><title>\(HTML.escape(tip))</title></circle>\n"
        }
        // One label per place on the front: points with the same figures share it.
        var places: [String: [Int]] = [:]
        var order: [String] = []
        for i in front {
            let place = "\(HTML.coord(px(lat[i]))),\(HTML.coord(py(load[i])))"
            if places[place] == nil { order.append(place) }
            places[place, default: []].append(i)
        }
        for place in order {
            let ids = places[place]!.sorted()
            let i = ids[0]
            let rec = s.recommended.map(ids.contains) ?? false
            let label = (rec ? "★ " : "") + (ids.count == 1 ? "point " : "points ") + ids.map { String($0 + 1) }.joined(separator: ", ")
                + (rec ? " (recommended: \(s.recommended! + 1))" : "")
            h += "<text x=\"\(HTML.coord(px(lat[i]) + 10))\" y=\"\(HTML.coord(py(load[i]) - 8))\" style=\"fill:\(rec ? "#1a7f37;font-weight:600" : "#0969da")\">\(HTML.escape(label))</text>\n"
        }
        return h + "</svg>"
    }

    var recommendation: String {
        let s = summary
        guard let r = s.recommended else {
            return "<p>No point is acceptable: each breaks a static rule, or one of its runs broke an invariant, left a job unfinished or reclaimed work from a healthy node.</p>\n"
        }
        let p = s.points[r]
        var h = "<h2>Recommended: point \(r + 1)</h2>\n<p class=\"sub\">The acceptable point on the Pareto front with the lowest score: the sum of "
        h += HTML.escape(TuneSummary.scoreMeasures.map(\.title).joined(separator: ", "))
        h += ", each divided by its median over the acceptable points.</p>\n<pre>\(HTML.escape(p.thresholds.envText))</pre>\n"
        h += "<table><tr>" + TuneMeasure.allCases.map { "<th class=\"num\">\(HTML.escape($0.title))</th>" }.joined() + "</tr><tr>"
        h += TuneMeasure.allCases.map { "<td class=\"num\">\(HTML.escape($0.text(p)))</td>" }.joined() + "</tr></table>\n"
        h += "<p class=\"sub\">Reproduce one run: <code>\(HTML.escape("simharness run node-crash --profile \(p.spec) --seed 1"))</code></p>\n"
        return h
    }

    var table: String {
        let s = summary
        var h = "<h2>Every point</h2>\n<div style=\"overflow-x:auto\"><table style=\"font-size:12.5px\"><tr><th>#</th>"
        h += s.axes.map { "<th>\(HTML.escape($0.name))</th>" }.joined()
        h += TuneMeasure.allCases.map { "<th class=\"num\">\(HTML.escape($0.rawValue))</th>" }.joined() + "<th>notes</th></tr>\n"
        for (i, p) in s.points.enumerated() {
            var notes = p.ruleFailures.map(\.rule.rawValue) + p.violations.keys.sorted()
            if s.recommended == i { notes.insert("recommended", at: 0) } else if s.pareto.contains(i) { notes.insert("Pareto front", at: 0) }
            h += "<tr\(p.acceptable ? "" : " class=\"bad\"")><td class=\"num\">\(i + 1)</td>"
            h += s.axes.map { "<td class=\"mono\">\(HTML.escape(p.thresholds.text($0)))</td>" }.joined()
            h += TuneMeasure.allCases.map { "<td class=\"num\">\(HTML.escape($0.text(p)))</td>" }.joined()
            h += "<td style=\"min-width:300px\">\(HTML.escape(notes.joined(separator: ", ")))</td></tr>\n"
        }
        return h + "</table></div>\n"
    }

    var problems: String {
        var h = "<h2>Problems and the runs that show them</h2>\n"
        var rows = ""
        var count = 0
        for (i, p) in summary.points.enumerated() {
            var items: [(String, [RunKey])] = p.violations.keys.sorted().map { ("violation \($0)", p.violations[$0]!) }
            if !p.falseReclaimRuns.isEmpty { items.append(("false reclaims (\(p.falseReclaims))", p.falseReclaimRuns)) }
            if !p.unfinishedRuns.isEmpty { items.append(("unfinished jobs (\(p.unfinishedJobs))", p.unfinishedRuns)) }
            if !p.crashed.isEmpty { items.append(("crashed runs", p.crashed)) }
            for (what, keys) in items {
                count += 1
                guard count <= 300 else { continue }
                rows += "<tr class=\"bad\"><td class=\"num\">\(i + 1)</td><td>\(HTML.escape(what))</td><td class=\"num\">\(keys.count)</td><td class=\"mono\">"
                rows += keys.prefix(3).map { HTML.escape(TuneSummary.reproduce($0)) }.joined(separator: "<br>") + "</td></tr>\n"
            }
        }
        let broken = summary.points.enumerated().filter { !$0.1.ruleFailures.isEmpty }
        if count == 0 && broken.isEmpty { return h + "<p class=\"sub\">No run broke an invariant, left a job unfinished or took work from a healthy node, and every point keeps the static rules.</p>\n" }
        if count > 0 {
            h += "<table><tr><th>point</th><th>problem</th><th class=\"num\">runs</th><th>reproduce (first runs)</th></tr>\n\(rows)</table>\n"
            if count > 300 { h += "<p class=\"sub\">First 300 of \(count) problems shown; the JSON has all.</p>\n" }
        }
        if !broken.isEmpty {
            h += "<h3>Static rules broken</h3><table><tr><th>rule</th><th class=\"num\">points</th><th>why it exists</th></tr>\n"
            for r in ThresholdRule.allCases {
                let n = broken.filter { $0.1.ruleFailures.contains { $0.rule == r } }.count
                if n > 0 { h += "<tr><td class=\"mono\">\(r.rawValue)</td><td class=\"num\">\(n)</td><td>\(HTML.escape(r.reason))</td></tr>\n" }
            }
            h += "</table>\n"
        }
        return h
    }
}
