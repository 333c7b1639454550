/// Shard summaries put back together, with what the shards did not cover: runs of the declared
/// plan that no shard reported, runs reported more than once (a shard run twice, or two
/// shards given the same index), and runs outside the plan.
public struct SweepMerge: Sendable, Equatable {
    /// The merged summary: the shards' plan as a whole sweep, each run once.
    public var summary: SweepSummary
    public var missing: [RunKey]
    /// Runs reported more than once, with how many times.
    public var duplicated: [(key: RunKey, times: Int)]
    /// Duplicated runs whose reports disagree on the digest: the simulation is not deterministic.
    public var divergent: [RunKey]
    public var unplanned: [RunKey]
    /// Shards whose plan (cells or seeds) differs from the first one's.
    public var planMismatches: [String]

    public var complete: Bool {
        missing.isEmpty && duplicated.isEmpty && unplanned.isEmpty && planMismatches.isEmpty
    }

    public static func == (a: SweepMerge, b: SweepMerge) -> Bool {
        a.summary == b.summary && a.missing == b.missing && a.divergent == b.divergent && a.unplanned == b.unplanned
            && a.planMismatches == b.planMismatches && a.duplicated.map(\.key) == b.duplicated.map(\.key)
            && a.duplicated.map(\.times) == b.duplicated.map(\.times)
    }

    /// Merges shard summaries (in any order: the result is the same). The plan is the first
    /// shard's, as a whole sweep; every shard must declare the same cells and seeds.
    public init(_ shards: [SweepSummary]) {
        precondition(!shards.isEmpty, "nothing to merge")
        let first = shards[0].plan
        let plan = SweepPlan(cells: first.cells, seeds: first.seeds, shard: .whole)
        var mismatches: [String] = []
        for (i, s) in shards.enumerated() where s.plan.cells != first.cells || s.plan.seeds.seeds != first.seeds.seeds {
            mismatches.append("summary \(i + 1) (shard \(s.plan.shard)) plans other cells or seeds than summary 1")
        }
        var byKey: [RunKey: [RunRecord]] = [:]
        for s in shards { for r in s.runs { byKey[r.key, default: []].append(r) } }
        let planned = Set(plan.keys)
        let reported = byKey.keys.sorted()

        missing = plan.keys.filter { byKey[$0] == nil }
        duplicated = reported.compactMap { k in byKey[k]!.count > 1 ? (k, byKey[k]!.count) : nil }
        divergent = reported.filter { k in Set(byKey[k]!.map(\.digest)).count > 1 }
        unplanned = reported.filter { !planned.contains($0) }
        planMismatches = mismatches
        // Each run once: of several reports, the one that sorts first by content (not by
        // arrival), so the merged summary does not depend on the order of its inputs.
        summary = SweepSummary(plan: plan, runs: reported.map { k in byKey[k]!.min { $0.jsonLine < $1.jsonLine }! })
    }
}
