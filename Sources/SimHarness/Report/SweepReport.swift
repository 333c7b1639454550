/// The HTML page of a sweep summary: totals, a matrix of every run (cell × seed, colored by
/// outcome), violations by invariant, runs by scenario/profile, and each failure with the
/// command that reproduces it.
public struct SweepReport {
    public var summary: SweepSummary

    public init(summary: SweepSummary) { self.summary = summary }

    /// Seeds beyond this many are left out of the matrix (the tables still count them).
    static let matrixSeeds = 400

    public var html: String {
        let s = summary
        let ok = s.failed == 0
        var b = "<h1>Sweep <span class=\"badge \(ok ? "pass" : "fail")\">\(ok ? "PASSED" : "FAILED")</span></h1>\n"
        b += "<dl class=\"facts\">\n"
        let facts: [(String, String)] = [
            ("seeds", s.plan.seeds.spec + " (\(s.plan.seeds.seeds.count))"),
            ("shard", s.plan.shard == .whole ? "whole sweep" : s.plan.shard.description),
            ("cells", "\(s.plan.cells.count) scenario/profile pairs"),
            ("runs", "\(s.runs.count): \(s.passed) passed, \(s.failed) failed\(s.crashed.isEmpty ? "" : ", \(s.crashed.count) crashed")"),
        ]
        for (k, v) in facts { b += "<dt>\(k)</dt><dd>\(HTML.escape(v))</dd>\n" }
        b += "</dl>\n"
        b += "<h2>Every run</h2>\n"
        b += "<p class=\"legend\"><span><i class=\"sw band\" style=\"background:#1a7f37;opacity:.9\"></i>passed, clean</span>"
        b += "<span><i class=\"sw band\" style=\"background:#8fd19e;opacity:1\"></i>passed, violations as expected</span>"
        b += "<span><i class=\"sw band\" style=\"background:#cf222e;opacity:1\"></i>failed</span>"
        b += "<span><i class=\"sw band\" style=\"background:#24292f;opacity:1\"></i>crashed</span>"
        b += "<span><i class=\"sw band\" style=\"background:#eaeef2;opacity:1\"></i>not run</span></p>\n"
        b += matrix + "\n"
        b += byInvariant
        b += byCell
        b += failures
        return HTML.page(title: "Sweep \(s.plan.seeds.spec)", body: b)
    }

    /// One row per cell, one square per seed of the plan.
    var matrix: String {
        let s = summary
        let seeds = Array(s.plan.seeds.seeds.prefix(Self.matrixSeeds))
        let cells = s.byCell.map(\.cell)
        var byKey: [RunKey: RunRecord] = [:]
        for r in s.runs { byKey[r.key] = r }
        let labelWidth = Double(cells.map(\.description.count).max() ?? 10) * 6.1 + 12
        let size = max(3.0, min(14.0, (1120 - labelWidth) / Double(max(1, seeds.count))))
        let width = labelWidth + size * Double(seeds.count) + 8
        let height = Double(cells.count) * (size + 2) + 22
        var h = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(HTML.coord(width))\" height=\"\(HTML.coord(height))\" viewBox=\"0 0 \(HTML.coord(width)) \(HTML.coord(height))\" role=\"img\" aria-label=\"runs by cell and seed\" class=\"matrix\">\n"
        for (row, c) in cells.enumerated() {
            let y = Double(row) * (size + 2)
            h += "<text x=\"\(HTML.coord(labelWidth - 8))\" y=\"\(HTML.coord(y + size - 2))\" text-anchor=\"end\">\(HTML.escape(c.description))</text>\n"
            for (col, seed) in seeds.enumerated() {
                let key = RunKey(scenario: c.scenario, profile: c.profile, seed: seed)
                let r = byKey[key]
                let color: String
                var tip = key.description
                if let r {
                    color = r.error != nil ? "#24292f" : !r.passed ? "#cf222e" : r.violated.isEmpty ? "#1a7f37" : "#8fd19e"
                    tip += r.violated.isEmpty ? ": clean" : ": " + r.violated.joined(separator: ", ")
                    if let e = r.error { tip += " (crashed: \(e))" }
                } else {
                    color = "#eaeef2"
                    tip += ": not run"
                }
                h += "<rect x=\"\(HTML.coord(labelWidth + Double(col) * size))\" y=\"\(HTML.coord(y))\" width=\"\(HTML.coord(size - 1))\" height=\"\(HTML.coord(size))\" fill=\"\(color)\"><title>\(HTML.escape(tip))</title></rect>\n"
            }
        }
        let yAxis = Double(cells.count) * (size + 2) + 12
        if let first = seeds.first, let last = seeds.last {
            h += "<text x=\"\(HTML.coord(labelWidth))\" y=\"\(HTML.coord(yAxis))\">seed \(first)</text>\n"
            h += "<text x=\"\(HTML.coord(labelWidth + Double(seeds.count) * size))\" y=\"\(HTML.coord(yAxis))\" text-anchor=\"end\">seed \(last)</text>\n"
        }
        h += "</svg>"
        if s.plan.seeds.seeds.count > seeds.count {
            h += "\n<p class=\"sub\">First \(seeds.count) seeds of \(s.plan.seeds.seeds.count) shown.</p>"
        }
        return h
    }

    var byInvariant: String {
        let rows = summary.byInvariant
        var h = "<h2>Violations by invariant</h2>\n"
        if rows.isEmpty { return h + "<p class=\"sub\">No run violated any invariant.</p>\n" }
        h += "<table><tr><th>invariant</th><th class=\"num\">runs</th><th class=\"num\">under a clean profile</th><th>seeds</th><th>scenario [profile]</th></tr>\n"
        for r in rows {
            h += "<tr\(r.inCleanRuns > 0 ? " class=\"bad\"" : "")><td class=\"mono\">\(HTML.escape(r.invariant))</td><td class=\"num\">\(r.runs)</td><td class=\"num\">\(r.inCleanRuns)</td>"
            h += "<td class=\"mono\">\(HTML.escape(SweepText.seeds(r.seeds)))</td><td>\(HTML.escape(r.cells.map(\.description).joined(separator: ", ")))</td></tr>\n"
        }
        return h + "</table>\n"
    }

    var byCell: String {
        var h = "<h2>By scenario and profile</h2>\n<table><tr><th>scenario</th><th>profile</th><th class=\"num\">runs</th><th class=\"num\">passed</th><th class=\"num\">failed</th><th>failed seeds</th></tr>\n"
        for r in summary.byCell {
            h += "<tr\(r.failed > 0 ? " class=\"bad\"" : "")><td>\(HTML.escape(r.cell.scenario))</td><td class=\"mono\">\(HTML.escape(r.cell.profile))</td>"
            h += "<td class=\"num\">\(r.runs)</td><td class=\"num\">\(r.passed)</td><td class=\"num\">\(r.failed)</td>"
            h += "<td class=\"mono\">\(HTML.escape(SweepText.seeds(r.failedSeeds)))</td></tr>\n"
        }
        return h + "</table>\n"
    }

    var failures: String {
        let fs = summary.failures
        var h = "<h2>Expectation failures (\(fs.count))</h2>\n"
        if fs.isEmpty { return h + "<p class=\"sub\">Every run met its expectation.</p>\n" }
        h += "<table><tr><th>run</th><th>why</th><th>reproduce</th></tr>\n"
        for r in fs.prefix(500) {
            let why = SweepText.failureLine(r).dropFirst(r.key.description.count + 2)
            h += "<tr class=\"bad\"><td>\(HTML.escape(r.key.description))</td><td>\(HTML.escape(String(why)))</td>"
            h += "<td class=\"mono\">simharness report \(HTML.escape(r.key.scenario)) --profile \(HTML.escape(r.key.profile)) --seed \(r.key.seed) --out run.html</td></tr>\n"
        }
        return h + "</table>\n"
    }
}
