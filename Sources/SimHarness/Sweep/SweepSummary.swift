import JobSystem

/// What a sweep set out to run: its (scenario, profile) cells, its seeds and its shard. Kept in
/// the summary so the merge can tell which runs are missing.
public struct SweepPlan: Sendable, Equatable {
    public var cells: [Cell]
    public var seeds: SeedSet
    public var shard: Shard

    public init(cells: [Cell], seeds: SeedSet, shard: Shard) {
        self.cells = cells
        self.seeds = seeds
        self.shard = shard
    }

    /// Every run this plan (this shard of it) is made of, sorted.
    public var keys: [RunKey] {
        let mine = shard.select(seeds.seeds)
        return cells.flatMap { c in mine.map { RunKey(scenario: c.scenario, profile: c.profile, seed: $0) } }.sorted()
    }
}

/// The result of a sweep (or a shard of one, or a merge of shards): its plan and every run,
/// sorted by (scenario, profile, seed), and the tables derived from them. A pure function of
/// the runs as a set: the same whatever the worker count or the order results arrived in.
public struct SweepSummary: Sendable, Equatable {
    public var plan: SweepPlan
    public private(set) var runs: [RunRecord]

    public init(plan: SweepPlan, runs: [RunRecord]) {
        self.plan = plan
        // Ties (a seed run twice) are broken by content, so even they do not depend on order.
        self.runs = runs.sorted { a, b in a.key != b.key ? a.key < b.key : a.jsonLine < b.jsonLine }
    }

    public var passed: Int { runs.lazy.filter(\.passed).count }
    public var failed: Int { runs.count - passed }
    public var failures: [RunRecord] { runs.filter { !$0.passed } }
    public var crashed: [RunRecord] { runs.filter { $0.error != nil } }

    /// How many runs violated one invariant, and which.
    public struct InvariantRow: Sendable, Equatable {
        public var invariant: String
        public var runs: Int
        /// Of those, runs under a profile without defects: there every violation is a bug.
        public var inCleanRuns: Int
        /// The distinct seeds involved, sorted.
        public var seeds: [UInt64]
        /// The cells involved, sorted.
        public var cells: [Cell]
    }

    public var byInvariant: [InvariantRow] {
        var rows: [String: InvariantRow] = [:]
        for r in runs {
            for inv in r.violated {
                var row = rows[inv] ?? InvariantRow(invariant: inv, runs: 0, inCleanRuns: 0, seeds: [], cells: [])
                row.runs += 1
                if r.mustBeClean { row.inCleanRuns += 1 }
                row.seeds.append(r.key.seed)
                row.cells.append(r.key.cell)
                rows[inv] = row
            }
        }
        return rows.keys.sorted().map { k in
            var row = rows[k]!
            row.seeds = Array(Set(row.seeds)).sorted()
            row.cells = Array(Set(row.cells)).sorted()
            return row
        }
    }

    /// Runs, passes and failures of one (scenario, profile) cell.
    public struct CellRow: Sendable, Equatable {
        public var cell: Cell
        public var runs: Int
        public var passed: Int
        public var failed: Int { runs - passed }
        public var failedSeeds: [UInt64]
    }

    /// One row per cell of the plan (in plan order), then any cell that only the runs name.
    public var byCell: [CellRow] {
        var rows: [Cell: CellRow] = [:]
        for r in runs {
            var row = rows[r.key.cell] ?? CellRow(cell: r.key.cell, runs: 0, passed: 0, failedSeeds: [])
            row.runs += 1
            if r.passed { row.passed += 1 } else { row.failedSeeds.append(r.key.seed) }
            rows[r.key.cell] = row
        }
        let planned = plan.cells.map { rows[$0] ?? CellRow(cell: $0, runs: 0, passed: 0, failedSeeds: []) }
        let extra = rows.keys.filter { !plan.cells.contains($0) }.sorted().map { rows[$0]! }
        return planned + extra
    }

    // MARK: JSON

    /// How many seeds each derived list shows in the JSON (the runs hold all of them).
    public static let seedsShown = 20

    public var json: JSONValue {
        var planJSON: [String: JSONValue] = [
            "cells": .array(plan.cells.map { .object(["scenario": .string($0.scenario), "profile": .string($0.profile)]) }),
            "seeds": .string(plan.seeds.spec),
            "shard": .string(plan.shard.description),
        ]
        planJSON["seedCount"] = .number(Double(plan.seeds.seeds.count))
        return .object([
            "version": 1,
            "plan": .object(planJSON),
            "totals": .object([
                "runs": .number(Double(runs.count)), "passed": .number(Double(passed)),
                "failed": .number(Double(failed)), "crashed": .number(Double(crashed.count)),
            ]),
            "byInvariant": .array(
                byInvariant.map { row in
                    .object([
                        "invariant": .string(row.invariant), "runs": .number(Double(row.runs)),
                        "inCleanRuns": .number(Double(row.inCleanRuns)),
                        "seeds": .array(row.seeds.prefix(Self.seedsShown).map { .number(Double($0)) }),
                        "cells": .array(row.cells.map { .string($0.description) }),
                    ])
                }),
            "byCell": .array(
                byCell.map { row in
                    .object([
                        "scenario": .string(row.cell.scenario), "profile": .string(row.cell.profile),
                        "runs": .number(Double(row.runs)), "passed": .number(Double(row.passed)),
                        "failed": .number(Double(row.failed)),
                        "failedSeeds": .array(row.failedSeeds.prefix(Self.seedsShown).map { .number(Double($0)) }),
                    ])
                }),
            "failures": .array(
                failures.map { r in
                    var o: [String: JSONValue] = [
                        "scenario": .string(r.key.scenario), "profile": .string(r.key.profile),
                        "seed": .number(Double(r.key.seed)),
                        "missing": .array(r.missing.map { .string($0) }),
                        "unexpected": .array(r.unexpected.map { .string($0) }),
                    ]
                    if let e = r.error { o["error"] = .string(e) }
                    return .object(o)
                }),
            "runs": .array(runs.map(\.json)),
        ])
    }

    /// The summary file: canonical JSON (sorted keys) and a newline.
    public var jsonText: String { json.canonicalString + "\n" }

    public struct DecodeError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Reads a summary back: its plan and runs (the derived tables are recomputed).
    public init(jsonText text: String) throws(DecodeError) {
        let v: JSONValue
        do {
            v = try JSONValue.parse(text.hasSuffix("\n") ? String(text.dropLast()) : text, maxDepth: 16)
        } catch {
            throw DecodeError(description: "\(error)")
        }
        guard v["version"]?.intValue == 1 else { throw DecodeError(description: "not a version-1 sweep summary") }
        guard let p = v["plan"], let cellValues = p["cells"]?.arrayValue, let spec = p["seeds"]?.stringValue,
            let shardText = p["shard"]?.stringValue, let runValues = v["runs"]?.arrayValue
        else { throw DecodeError(description: "summary without plan.cells, plan.seeds, plan.shard or runs") }
        var cells: [Cell] = []
        for c in cellValues {
            guard let s = c["scenario"]?.stringValue, let pr = c["profile"]?.stringValue else {
                throw DecodeError(description: "bad cell in plan")
            }
            cells.append(Cell(scenario: s, profile: pr))
        }
        do {
            let plan = SweepPlan(cells: cells, seeds: try SeedSet(spec), shard: try Shard(parsing: shardText))
            var runs: [RunRecord] = []
            for r in runValues { runs.append(try RunRecord(json: r)) }
            self.init(plan: plan, runs: runs)
        } catch {
            throw DecodeError(description: "\(error)")
        }
    }
}
