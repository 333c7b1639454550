import SimHarness
import Testing

/// The pure parts of `simharness sweep` and `merge`: seed specs, shards, summaries, merging.
@Suite("Sweep")
struct SweepTests {
    // MARK: Seeds and shards

    @Test func seedSpecs() throws {
        #expect(try SeedSet("1..5").seeds == [1, 2, 3, 4, 5])
        #expect(try SeedSet("9, 3..4,3").seeds == [3, 4, 9])
        #expect(throws: SeedSet.ParseError.self) { try SeedSet("5..1") }
        #expect(throws: SeedSet.ParseError.self) { try SeedSet("x") }
        #expect(throws: SeedSet.ParseError.self) { try SeedSet("1..") }
        #expect(SeedSet.compact([1, 2, 3, 4, 7, 9, 10, 11, 12]) == "1..4,7,9..12")
        #expect(SeedSet.compact([5, 6]) == "5,6")
    }

    @Test(arguments: [1, 2, 3, 4, 7, 13, 64])
    func everySeedInExactlyOneShard(_ n: Int) throws {
        for spec in ["1..200", "1..3", "5,9,13,100..130", "7"] {
            let seeds = try SeedSet(spec).seeds
            var seen: [UInt64: Int] = [:]
            var sizes: [Int] = []
            for i in 0..<n {
                let mine = try Shard(index: i, count: n).select(seeds)
                sizes.append(mine.count)
                for s in mine { seen[s, default: 0] += 1 }
            }
            #expect(seen.count == seeds.count, "shards of \(spec) over \(n) miss seeds")
            #expect(seen.values.allSatisfy { $0 == 1 }, "a seed of \(spec) is in two of \(n) shards")
            // Round-robin: shard sizes differ by at most one.
            #expect((sizes.max() ?? 0) - (sizes.min() ?? 0) <= 1)
        }
    }

    @Test func shardParsingAndEnvironment() throws {
        #expect(try Shard(parsing: "2/5") == Shard(index: 2, count: 5))
        #expect(throws: Shard.ParseError.self) { try Shard(parsing: "5/5") }
        #expect(throws: Shard.ParseError.self) { try Shard(parsing: "1/0") }
        #expect(throws: Shard.ParseError.self) { try Shard(parsing: "1-4") }
        let env = ["JOB_COMPLETION_INDEX": "3", "SHARD_COUNT": "8"]
        #expect(try Shard.resolve(flag: nil, countFlag: nil, environment: env) == Shard(index: 3, count: 8))
        #expect(try Shard.resolve(flag: nil, countFlag: 4, environment: env) == Shard(index: 3, count: 4))
        #expect(try Shard.resolve(flag: "0/2", countFlag: nil, environment: env) == Shard(index: 0, count: 2))
        #expect(try Shard.resolve(flag: nil, countFlag: nil, environment: [:]) == .whole)
        #expect(throws: Shard.ParseError.self) {
            try Shard.resolve(flag: nil, countFlag: nil, environment: ["JOB_COMPLETION_INDEX": "1"])
        }
    }

    // MARK: Summaries

    static let cells = [Cell(scenario: "happy-path", profile: "fixed"), Cell(scenario: "happy-path", profile: "legacy")]

    static func record(_ cell: Cell, _ seed: UInt64, digest: String? = nil) -> RunRecord {
        let legacy = cell.profile == "legacy"
        // A clean run fails on seed 7 (say a flaky liveness), so the tables have a failure.
        let violated = legacy ? ["pending-notified", "result-aggregation"] : seed == 7 ? ["jobs-complete"] : []
        return RunRecord(
            key: RunKey(scenario: cell.scenario, profile: cell.profile, seed: seed), passed: legacy || seed != 7,
            mustBeClean: !legacy, expected: legacy ? ["result-aggregation"] : [], violated: violated,
            firstViolation: violated.isEmpty ? nil : "\(violated[0]) at 1m", digest: digest ?? "d\(seed)\(cell.profile)",
            events: 1000 + seed, simSeconds: 900, jobsTotal: 4, jobsCompleted: 4, jobLatencyP50: 40.5, jobLatencyP99: 53)
    }

    static func plan(shard: Shard = .whole) throws -> SweepPlan {
        SweepPlan(cells: cells, seeds: try SeedSet("1..10"), shard: shard)
    }

    static func allRecords(shard: Shard = .whole) throws -> [RunRecord] {
        try plan(shard: shard).keys.map { record($0.cell, $0.seed) }
    }

    @Test func summaryIsTheSameWhateverTheArrivalOrder() throws {
        let records = try Self.allRecords()
        let reference = SweepSummary(plan: try Self.plan(), runs: records)
        // Orders a pool of workers could produce: reversed, interleaved, rotated.
        let orders: [[RunRecord]] = [
            records.reversed(),
            records.enumerated().sorted { ($0.offset % 3, $0.offset) < ($1.offset % 3, $1.offset) }.map(\.element),
            Array(records[7...] + records[..<7]),
        ]
        for order in orders {
            let s = SweepSummary(plan: try Self.plan(), runs: order)
            #expect(s == reference)
            #expect(s.jsonText == reference.jsonText)
            #expect(SweepText.summary(s) == SweepText.summary(reference))
        }
        #expect(reference.runs.map(\.key) == reference.runs.map(\.key).sorted())
    }

    @Test func summaryTables() throws {
        let s = SweepSummary(plan: try Self.plan(), runs: try Self.allRecords())
        #expect(s.runs.count == 20)
        #expect(s.failed == 1)
        #expect(s.failures.map(\.key.description) == ["happy-path [fixed] seed=7"])
        let inv = s.byInvariant
        #expect(inv.map(\.invariant) == ["jobs-complete", "pending-notified", "result-aggregation"])
        #expect(inv[0].runs == 1 && inv[0].inCleanRuns == 1 && inv[0].seeds == [7])
        #expect(inv[2].runs == 10 && inv[2].inCleanRuns == 0 && inv[2].seeds == Array(1...10))
        #expect(s.byCell.map(\.failed) == [1, 0])
        #expect(s.byCell[0].failedSeeds == [7])
    }

    @Test func summaryJSONRoundTrips() throws {
        let s = SweepSummary(plan: try Self.plan(shard: Shard(index: 1, count: 3)), runs: try Self.allRecords(shard: Shard(index: 1, count: 3)))
        let back = try SweepSummary(jsonText: s.jsonText)
        #expect(back == s)
        #expect(back.jsonText == s.jsonText)
        let line = Self.record(Self.cells[1], 42).jsonLine
        #expect(try RunRecord(jsonLine: line) == Self.record(Self.cells[1], 42))
    }

    // MARK: Merge

    static func shards(_ n: Int) throws -> [SweepSummary] {
        try (0..<n).map { i in
            let shard = try Shard(index: i, count: n)
            return SweepSummary(plan: try plan(shard: shard), runs: try allRecords(shard: shard))
        }
    }

    @Test func mergeOfAllShardsIsTheWholeSweep() throws {
        let whole = SweepSummary(plan: try Self.plan(), runs: try Self.allRecords())
        let parts = try Self.shards(3)
        let m = SweepMerge(parts)
        #expect(m.complete)
        #expect(m.summary == whole)
        // In any order.
        #expect(SweepMerge(parts.reversed()) == m)
    }

    @Test func mergeReportsAMissingAndADuplicatedSeed() throws {
        let parts = try Self.shards(3)
        // Shard 1 lost, shard 2 given twice.
        let m = SweepMerge([parts[0], parts[2], parts[2]])
        #expect(!m.complete)
        let lost = try Shard(index: 1, count: 3).select(Array(1...10))
        #expect(m.missing.map(\.seed).sorted() == (lost + lost).sorted())
        #expect(Set(m.missing.map(\.cell)) == Set(Self.cells))
        let twice = try Shard(index: 2, count: 3).select(Array(1...10))
        #expect(m.duplicated.map(\.key.seed).sorted() == (twice + twice).sorted())
        #expect(m.duplicated.allSatisfy { $0.times == 2 })
        #expect(m.divergent.isEmpty)
        let text = SweepText.merge(m, inputs: 3)
        #expect(text.contains("MISSING"))
        #expect(text.contains("RUN TWICE"))
    }

    @Test func mergeSingleMissingSeedAndNondeterministicDuplicate() throws {
        let plan = try Self.plan()
        var runs = try Self.allRecords()
        runs.removeAll { $0.key == RunKey(scenario: "happy-path", profile: "fixed", seed: 4) }
        let a = SweepSummary(plan: plan, runs: runs)
        let again = SweepSummary(plan: plan, runs: [Self.record(Self.cells[1], 9, digest: "other")])
        let m = SweepMerge([a, again])
        #expect(m.missing == [RunKey(scenario: "happy-path", profile: "fixed", seed: 4)])
        #expect(m.duplicated.map(\.key) == [RunKey(scenario: "happy-path", profile: "legacy", seed: 9)])
        #expect(m.divergent == [RunKey(scenario: "happy-path", profile: "legacy", seed: 9)])
        // The merged summary keeps one report per run, whichever shard came first.
        #expect(SweepMerge([again, a]).summary == m.summary)
    }

    @Test func mergeFlagsShardsOfAnotherPlan() throws {
        let other = SweepSummary(plan: SweepPlan(cells: Self.cells, seeds: try SeedSet("1..11"), shard: .whole), runs: [])
        let m = SweepMerge([try Self.shards(1)[0], other])
        #expect(m.planMismatches.count == 1)
        #expect(!m.complete)
    }
}
