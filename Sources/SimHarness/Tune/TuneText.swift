import JobSystem

/// The renderings of a tuning summary: the terminal table, CSV and JSON. Deterministic (no
/// timings), so two sweeps' outputs diff cleanly.
public enum TuneText {
    /// The table: one row per point (the axes' values, then every measure), marks for rule
    /// failures (`R`), violations (`V`), the Pareto front (`*`) and the recommendation (`>`).
    public static func table(_ s: TuneSummary) -> String {
        var out: [String] = []
        let runs = s.sweep.runs.count
        let scenarios = Array(Set(s.sweep.plan.cells.map(\.scenario))).sorted()
        out.append(
            "tune: \(s.points.count) points × \(scenarios.count) scenarios (\(scenarios.joined(separator: ", "))) × seeds \(s.sweep.plan.seeds.spec): \(runs) runs")
        let axes = s.axes.isEmpty ? [ThresholdKey.heartbeatInterval] : s.axes
        let measures = TuneMeasure.allCases
        var header = ["", "point"] + axes.map(\.name) + measures.map(\.rawValue) + ["rules broken / violations"]
        var rows: [[String]] = []
        for (i, p) in s.points.enumerated() {
            let mark = s.recommended == i ? ">" : s.pareto.contains(i) ? "*" : !p.ruleFailures.isEmpty ? "R" : !p.acceptable ? "P" : ""
            var notes: [String] = p.ruleFailures.map(\.rule.rawValue)
            notes += p.violations.keys.sorted()
            if p.falseReclaims > 0 { notes.append("false reclaims") }
            if p.unfinishedJobs > 0 { notes.append("unfinished jobs") }
            if !p.crashed.isEmpty { notes.append("\(p.crashed.count) crashed") }
            rows.append([mark, String(i + 1)] + axes.map { p.thresholds.text($0) } + measures.map { $0.text(p) } + [notes.joined(separator: ",")])
        }
        header[header.count - 1] = "notes"
        var widths = header.map(\.count)
        for r in rows { for (k, c) in r.enumerated() { widths[k] = max(widths[k], c.count) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { k, c in
                let pad = String(repeating: " ", count: widths[k] - c.count)
                return k >= 2 + axes.count && k < cells.count - 1 ? pad + c : c + pad
            }.joined(separator: "  ").trimmingTrailingSpaces
        }
        out.append("")
        out.append(line(header))
        for r in rows { out.append(line(r)) }
        out.append("")
        out.append("> recommended   * Pareto front (latency p99 vs wasted compute vs heartbeat load)   R breaks a static rule   P violations, unfinished jobs, false reclaims or crashed runs")
        out.append("measures: " + measures.map { "\($0.rawValue) = \($0.meaning)" }.joined(separator: "; "))
        out.append("")
        out.append(contentsOf: recommendation(s))
        return out.joined(separator: "\n")
    }

    /// The recommendation paragraph (also in the README's format).
    public static func recommendation(_ s: TuneSummary) -> [String] {
        guard let r = s.recommended else {
            return ["no point is acceptable (every one breaks a rule, or some run broke an invariant, left a job unfinished or reclaimed work from a healthy node)"]
        }
        let p = s.points[r]
        var out = ["recommended: point \(r + 1), profile \(p.spec)"]
        for k in ThresholdKey.allCases { out.append("  \(k.variable)=\(p.thresholds.text(k))") }
        out.append(
            "  figures: " + TuneMeasure.allCases.map { "\($0.rawValue) \($0.text(p))" }.joined(separator: ", "))
        return out
    }

    // MARK: CSV

    /// One row per point: index, spec, every threshold, every measure, flags.
    public static func csv(_ s: TuneSummary) -> String {
        var lines = [
            (["point", "profile"] + ThresholdKey.allCases.map(\.variable) + TuneMeasure.allCases.map(\.rawValue)
                + ["runs", "rules_broken", "violations", "acceptable", "pareto", "recommended"]).joined(separator: ",")
        ]
        for (i, p) in s.points.enumerated() {
            var cells = [String(i + 1), quote(p.spec)]
            cells += ThresholdKey.allCases.map { p.thresholds.text($0) }
            cells += TuneMeasure.allCases.map { $0.text(p) }
            cells += [
                String(p.runs), quote(p.ruleFailures.map(\.rule.rawValue).joined(separator: " ")),
                quote(p.violations.keys.sorted().joined(separator: " ")), p.acceptable ? "1" : "0",
                s.pareto.contains(i) ? "1" : "0", s.recommended == i ? "1" : "0",
            ]
            lines.append(cells.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func quote(_ s: String) -> String {
        s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + s.replacingAll("\"", "\"\"") + "\"" : s
    }

    // MARK: JSON

    public static func json(_ s: TuneSummary) -> JSONValue {
        func seeds(_ keys: [RunKey]) -> JSONValue {
            .array(keys.prefix(20).map { .object(["scenario": .string($0.scenario), "seed": .number(Double($0.seed)), "reproduce": .string(TuneSummary.reproduce($0))]) })
        }
        let points: [JSONValue] = s.points.enumerated().map { i, p in
            var m: [String: JSONValue] = [:]
            for x in TuneMeasure.allCases { m[x.rawValue] = .number(x.value(p)) }
            var th: [String: JSONValue] = [:]
            for k in ThresholdKey.allCases { th[k.variable] = .string(p.thresholds.text(k)) }
            var v: [String: JSONValue] = [:]
            for (inv, keys) in p.violations { v[inv] = seeds(keys) }
            return .object([
                "point": .number(Double(i + 1)), "profile": .string(p.spec), "thresholds": .object(th), "measures": .object(m),
                "runs": .number(Double(p.runs)),
                "rulesBroken": .array(p.ruleFailures.map { .object(["rule": .string($0.rule.rawValue), "detail": .string($0.detail), "reason": .string($0.rule.reason)]) }),
                "violations": .object(v), "falseReclaimRuns": seeds(p.falseReclaimRuns), "unfinishedRuns": seeds(p.unfinishedRuns),
                "crashed": seeds(p.crashed),
                "acceptable": .bool(p.acceptable), "pareto": .bool(s.pareto.contains(i)), "recommended": .bool(s.recommended == i),
            ])
        }
        var o: [String: JSONValue] = [
            "version": 1,
            "seeds": .string(s.sweep.plan.seeds.spec),
            "scenarios": .array(Array(Set(s.sweep.plan.cells.map(\.scenario))).sorted().map { .string($0) }),
            "axes": .array(s.axes.map { .string($0.name) }),
            "measures": .object(Dictionary(uniqueKeysWithValues: TuneMeasure.allCases.map { ($0.rawValue, JSONValue.string($0.meaning)) })),
            "points": .array(points),
            "pareto": .array(s.pareto.map { .number(Double($0 + 1)) }),
        ]
        if let r = s.recommended {
            o["recommended"] = .object(["point": .number(Double(r + 1)), "profile": .string(s.points[r].spec), "env": .string(s.points[r].thresholds.envText)])
        }
        return .object(o)
    }
}

extension String {
    var trimmingTrailingSpaces: String {
        var s = Substring(self)
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }

    func replacingAll(_ a: Character, _ b: String) -> String {
        var out = ""
        for c in self { if c == a { out += b } else { out.append(c) } }
        return out
    }
}
