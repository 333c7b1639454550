import Foundation
import PostgresStore
import Testing

@testable import JobSystem

/// Real concurrency: the same operations from two PostgreSQL connections at once, round after
/// round. Each round's outcome must be one the embedded store produces by running them one
/// after the other in some order, and the embedded store's set of serial outcomes is exactly
/// what the contract allows.
extension StoreContractTests {
    static let rounds = 12

    func check<C: Sendable>(_ race: RaceCase<C>, expected: Set<[String]>) throws {
        let allowed = try race.serialOutcomes()
        #expect(allowed == expected, "the embedded store's serial outcomes")
        for _ in 0..<Self.rounds {
            let got = try race.concurrentOutcome()
            #expect(allowed.contains(got), "PostgreSQL outcome \(got) is not a serial one: \(allowed)")
        }
    }

    struct Ids: Sendable {
        var job: JobID
        var chunks: [ChunkID]
        var n1: NodeID
        var n2: NodeID
        func name(_ node: NodeID?) -> String { node == n1 ? "n1" : node == n2 ? "n2" : "nil" }
    }

    static func setup(chunks: Int, assign: Int, _ h: inout StoreHarness) throws -> Ids {
        let job = try h.store.createJob(F.newJob(iterations: chunks * 100, chunk: 100), upserting: F.config(1))
        let n1 = try F.onlineNode(&h.store, 1)
        let n2 = try F.onlineNode(&h.store, 2)
        let ids = try h.store.chunks(ofJob: job.jobID).map(\.id)
        if assign > 0 {
            _ = try h.store.applyAssignments(ids.prefix(assign).map { PlannedAssignment(chunkID: $0, nodeID: n1) }, guarded: true)
        }
        return Ids(job: job.jobID, chunks: ids, n1: n1, n2: n2)
    }

    static func describe(_ outcome: CompletionOutcome) -> String {
        switch outcome {
        case .accepted(_, let done): return "accepted\(done ? " last" : "")"
        case .duplicate: return "duplicate"
        case .alreadyCompleted: return "alreadyCompleted"
        case .staleClaim: return "staleClaim"
        case .notHeld: return "notHeld"
        }
    }

    typealias Op = @Sendable (inout any JobStore, Ids) throws(StoreError) -> String

    static func assign(_ n: Int) -> Op {
        let op: Op = { store, ids throws(StoreError) in
            let made = try store.applyAssignments(
                [PlannedAssignment(chunkID: ids.chunks[0], nodeID: n == 1 ? ids.n1 : ids.n2)], guarded: true,
                onlineWindow: .seconds(45))
            return "assigned \(made.count) attempt \(made.first?.attempt ?? 0)"
        }
        return op
    }

    static func complete(_ i: Int, base: UInt64 = 1_000_000) -> Op {
        let op: Op = { store, ids throws(StoreError) in
            let outcome = try store.completeChunk(
                Completion(nodeID: ids.n1, chunkID: ids.chunks[i], attempt: 1, result: F.result(iterations: 100, base: base)),
                rules: CompletionRules())
            return describe(outcome)
        }
        return op
    }

    static let upsert: Op = { store, _ throws(StoreError) in
        let inserted = try store.upsertConfig(F.config(5), checkThenInsert: false)
        return "inserted \(inserted)"
    }

    static let reap: Op = { store, _ throws(StoreError) in
        let reaped = try store.reapStaleChunks(claimTimeout: .minutes(5))
        return "reaped \(reaped.count)"
    }

    @Test func twoSentinelsRaceTheSameGuardedAssignment() throws {
        let race = RaceCase<Ids>(
            setup: { h in try Self.setup(chunks: 1, assign: 0, &h) },
            ops: [Self.assign(1), Self.assign(2)],
            final: { h, ids in
                let row = try h.store.chunk(ids.chunks[0])!
                return "\(ids.name(row.nodeID)) attempt \(row.attempt) backlogs \(try h.backlog(ids.n1)!),\(try h.backlog(ids.n2)!)"
            })
        try check(race, expected: [
            ["assigned 1 attempt 1", "assigned 0 attempt 0", "n1 attempt 1 backlogs 1,0"],
            ["assigned 0 attempt 0", "assigned 1 attempt 1", "n2 attempt 1 backlogs 0,1"],
        ])
    }

    @Test func theSameCompletionTwice() throws {
        let race = RaceCase<Ids>(
            setup: { h in try Self.setup(chunks: 2, assign: 1, &h) },
            ops: [Self.complete(0), Self.complete(0)],
            final: { h, ids in
                let job = try h.store.job(ids.job)!
                return "\(job.status.rawValue) \(job.completedIterations)"
            })
        try check(race, expected: [["accepted", "duplicate", "running 100"], ["duplicate", "accepted", "running 100"]])
    }

    @Test func twoLastCompletionsOfOneJob() throws {
        let race = RaceCase<Ids>(
            setup: { h in try Self.setup(chunks: 2, assign: 2, &h) },
            ops: [Self.complete(0, base: 1_000), Self.complete(1, base: 2_000)],
            final: { h, ids in
                let job = try h.store.job(ids.job)!
                let exact = job.result == SimulationResult.aggregate([F.result(iterations: 100, base: 1_000), F.result(iterations: 100, base: 2_000)])
                return "\(job.status.rawValue) \(job.completedIterations) aggregate \(exact)"
            })
        try check(race, expected: [
            ["accepted", "accepted last", "completed 200 aggregate true"],
            ["accepted last", "accepted", "completed 200 aggregate true"],
        ])
    }

    @Test func twoPortalsUpsertTheSameConfig() throws {
        let race = RaceCase<Ids>(
            setup: { h in try Self.setup(chunks: 1, assign: 0, &h) },
            ops: [Self.upsert, Self.upsert],
            final: { h, _ in "exists \(try h.store.config(F.config(5).hash) != nil)" })
        try check(race, expected: [["inserted true", "inserted false", "exists true"], ["inserted false", "inserted true", "exists true"]])
    }

    @Test func theReaperAgainstALateCompletion() throws {
        let race = RaceCase<Ids>(
            setup: { h in
                let ids = try Self.setup(chunks: 2, assign: 1, &h)
                try h.advance(.minutes(6))
                return ids
            },
            ops: [Self.reap, Self.complete(0)],
            final: { h, ids in
                let row = try h.store.chunk(ids.chunks[0])!
                return "\(row.status.rawValue) \(try h.store.job(ids.job)!.completedIterations) pending \(try h.store.pendingChunkCount())"
            })
        try check(race, expected: [
            ["reaped 1", "accepted", "completed 100 pending 1"],
            ["reaped 0", "accepted", "completed 100 pending 1"],
        ])
    }

    /// Today's racy upsert's INSERT (its lookup having missed) on the real database: another
    /// client's insert since loses the race with a unique violation, which no serial order of
    /// the embedded store produces. The interleaving is forced: the other insert is held
    /// uncommitted until the racy INSERT waits on it.
    @Test func racyCheckThenInsertLosesWithAUniqueViolation() throws {
        let h = try StoreHarness.make(.postgres)
        let url = try testDatabaseURL()
        let holder = try PGConnection(url)
        try holder.execute("BEGIN")
        try holder.execute(
            "INSERT INTO jobs_configs (hash, config, config_text) VALUES ($1, '{}'::jsonb, '{}')", [F.config(6).hash.hex])
        let racy = spawn(url: url) { @Sendable store throws(StoreError) in
            try store.upsertConfig(F.config(6), checkThenInsert: true)
        }
        // Wait until the racy INSERT is blocked on the held row, then commit the held one.
        var waited = false
        for _ in 0..<2_000 where !waited {
            // Another session: pg_stat_activity is a snapshot per transaction, and the holder is in one.
            waited = try h.admin!.execute("""
                SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO jobs_configs%'
                """).first!.int(0) > 0
            if !waited { usleep(5_000) }
        }
        try holder.execute("COMMIT")
        #expect(waited)
        #expect(throws: StoreError.uniqueViolation("jobs_configs_pkey")) { try racy().get() }
        // The fixed upsert in the same interleaving simply touches the row.
        let fixed = spawn(url: url) { @Sendable store throws(StoreError) in
            try store.upsertConfig(F.config(6), checkThenInsert: false)
        }
        #expect(try fixed().get() == false)
    }
}
