/// The human rendering of a sweep summary and of a merge: fixed-width tables, deterministic
/// (no timings), so two sweeps' outputs can be diffed.
public enum SweepText {
    /// Seeds listed per row before "…".
    static let seedsShown = 12

    public static func summary(_ s: SweepSummary) -> String {
        var out: [String] = []
        let shard = s.plan.shard == .whole ? "" : " shard \(s.plan.shard)"
        out.append(
            "sweep: \(s.plan.cells.count) scenario/profile cells × seeds \(s.plan.seeds.spec)\(shard): "
                + "\(s.runs.count) runs, \(s.passed) passed, \(s.failed) failed")
        let inv = s.byInvariant
        if !inv.isEmpty {
            out.append("")
            out.append("violations by invariant (runs violating it; of which under a defect-free profile; seeds):")
            let w = inv.map(\.invariant.count).max() ?? 0
            for r in inv {
                out.append(
                    "  \(pad(r.invariant, w))  \(lpad(r.runs, 5)) runs  \(lpad(r.inCleanRuns, 5)) clean-profile  seeds \(seeds(r.seeds))")
            }
        }
        out.append("")
        out.append("by scenario/profile:")
        let rows = s.byCell
        let w = rows.map(\.cell.description.count).max() ?? 0
        for r in rows {
            var line = "  \(pad(r.cell.description, w))  \(lpad(r.runs, 5)) runs  \(lpad(r.passed, 5)) passed  \(lpad(r.failed, 5)) failed"
            if !r.failedSeeds.isEmpty { line += "  seeds \(seeds(r.failedSeeds))" }
            out.append(line)
        }
        let failures = s.failures
        if !failures.isEmpty {
            out.append("")
            out.append("expectation failures (\(failures.count)):")
            for r in failures.prefix(50) { out.append("  " + failureLine(r)) }
            if failures.count > 50 { out.append("  … \(failures.count - 50) more in the JSON summary") }
        }
        return out.joined(separator: "\n")
    }

    public static func failureLine(_ r: RunRecord) -> String {
        var why: [String] = []
        if let e = r.error { why.append("crashed: \(e)") }
        if !r.missing.isEmpty { why.append("expected " + r.missing.joined(separator: ",") + " not violated") }
        if !r.unexpected.isEmpty { why.append("violated " + r.unexpected.joined(separator: ",")) }
        var line = "\(r.key): " + why.joined(separator: "; ")
        if let v = r.firstViolation, !r.unexpected.isEmpty { line += " (first: \(v))" }
        return line
    }

    public static func merge(_ m: SweepMerge, inputs: Int) -> String {
        var out: [String] = []
        out.append("merged \(inputs) summaries: \(m.summary.runs.count) distinct runs of \(m.summary.plan.keys.count) planned")
        for p in m.planMismatches { out.append("PLAN MISMATCH: \(p)") }
        if !m.missing.isEmpty {
            out.append("MISSING \(m.missing.count) runs:")
            out.append(contentsOf: groupedByCell(m.missing))
        }
        if !m.duplicated.isEmpty {
            out.append("RUN TWICE \(m.duplicated.count) runs:")
            out.append(contentsOf: groupedByCell(m.duplicated.map(\.key)))
        }
        if !m.divergent.isEmpty {
            out.append("NONDETERMINISTIC \(m.divergent.count) runs (same run, different digests):")
            out.append(contentsOf: groupedByCell(m.divergent))
        }
        if !m.unplanned.isEmpty {
            out.append("UNPLANNED \(m.unplanned.count) runs:")
            out.append(contentsOf: groupedByCell(m.unplanned))
        }
        if m.complete { out.append("coverage: complete, every planned run exactly once") }
        out.append("")
        out.append(summary(m.summary))
        return out.joined(separator: "\n")
    }

    static func groupedByCell(_ keys: [RunKey]) -> [String] {
        var cells: [Cell] = []
        var seedsOf: [Cell: [UInt64]] = [:]
        for k in keys.sorted() {
            if seedsOf[k.cell] == nil { cells.append(k.cell) }
            seedsOf[k.cell, default: []].append(k.seed)
        }
        return cells.map { "  \($0): seeds \(SeedSet.compact(seedsOf[$0]!))" }
    }

    static func seeds(_ s: [UInt64]) -> String {
        // Whole when short (a full range compacts to `1..200`), else the first few and a count.
        let all = SeedSet.compact(s)
        if all.count <= 40 { return all }
        let shown = SeedSet.compact(Array(s.prefix(seedsShown)))
        return s.count > seedsShown ? shown + ",… (\(s.count))" : shown
    }

    static func pad(_ s: String, _ w: Int) -> String { s + String(repeating: " ", count: max(0, w - s.count)) }
    static func lpad(_ n: Int, _ w: Int) -> String {
        let s = String(n)
        return String(repeating: " ", count: max(0, w - s.count)) + s
    }
}
