import Foundation
import Testing

@testable import PostgresStore

@testable import JobSystem

/// NOTIFY on the real database: delivered only after commit, one per pending unassigned row
/// written, none from a rolled-back transaction, lost while the listener is disconnected. And
/// a lost connection reads as `.connectionLost`, never as "no such row".
extension StoreContractTests {
    /// A chunk assigned to a node, the job's insert notifications drained.
    static func assignedChunk(_ h: inout StoreHarness) throws -> (job: JobID, chunks: [ChunkID], node: NodeID) {
        let job = try h.store.createJob(F.newJob(iterations: 300, chunk: 100), upserting: F.config(1))
        let node = try F.onlineNode(&h.store, 1)
        let chunks = try h.store.chunks(ofJob: job.jobID).map(\.id)
        _ = try h.store.applyAssignments([PlannedAssignment(chunkID: chunks[0], nodeID: node)], guarded: true)
        #expect(try h.notifications() == F.pending(chunks))
        return (job.jobID, chunks, node)
    }

    @Test func notifiedOnlyAfterCommitAndNeverOnRollback() throws {
        var h = try StoreHarness.make(.postgres)
        let (_, chunks, _) = try Self.assignedChunk(&h)
        let url = try testDatabaseURL()
        let tx = try PGConnection(url)
        let release = "UPDATE jobs_chunks SET status = 'pending', node_id = NULL, claimed_at = NULL WHERE id = $1"
        // Inside an open transaction: nothing is delivered.
        try tx.execute("BEGIN")
        try tx.execute(release, [chunks[0].uuidString])
        #expect(try h.notifications().isEmpty)
        try tx.execute("ROLLBACK")
        #expect(try h.notifications().isEmpty)
        #expect(try h.store.chunk(chunks[0])?.status == .running)
        // Committed: delivered once, after the commit.
        try tx.execute("BEGIN")
        try tx.execute(release, [chunks[0].uuidString])
        #expect(try h.notifications().isEmpty)
        try tx.execute("COMMIT")
        #expect(try h.notifications() == F.pending([chunks[0]]))
    }

    /// The seeds' trigger fires for every row *written* pending with no node, whether or not the
    /// write changed its status; running and completed rows never notify.
    @Test func onePerPendingUnassignedRowWritten() throws {
        var h = try StoreHarness.make(.postgres)
        let (job, chunks, _) = try Self.assignedChunk(&h)
        try h.admin!.execute("UPDATE jobs_chunks SET iterations = iterations WHERE job_id = $1", [job.uuidString])
        // One statement writes the rows in their physical order: the set and the count are
        // what the trigger promises, one per pending unassigned row.
        let got = try h.notifications()
        #expect(got.count == 2 && Set(got.map(\.payload)) == Set(chunks.dropFirst().map(\.uuidString)))
        try h.admin!.execute("UPDATE jobs_chunks SET iterations = iterations WHERE id = $1", [chunks[0].uuidString])
        #expect(try h.notifications().isEmpty)
    }

    /// What is committed while the listener is disconnected is lost (PostgreSQL keeps no
    /// backlog for absent sessions); after `reconnect()` it hears new commits again. The
    /// sentinel recovers the lost ones with its fallback pass (scenario `store-restart`).
    @Test func lostWhileTheListenerIsDisconnected() throws {
        var h = try StoreHarness.make(.postgres)
        let pid = h.listener!.connection.backendPID
        #expect(try h.admin!.execute("SELECT pg_terminate_backend($1)", [String(pid)]).first!.bool(0))
        let lost = try h.store.createJob(F.newJob(iterations: 200, chunk: 100), upserting: F.config(1))
        #expect(throws: StoreError.connectionLost) {
            for _ in 0..<200 {
                _ = try h.listener!.wait(timeout: .milliseconds(50))
            }
        }
        try h.listener!.reconnect()
        #expect(h.listener!.connection.backendPID != pid)
        let heard = try h.store.createJob(F.newJob(iterations: 100, chunk: 100), upserting: F.config(1))
        let got = try h.notifications()
        #expect(got == F.pending(try h.store.chunks(ofJob: heard.jobID).map(\.id)))
        #expect(try h.store.chunks(ofJob: lost.jobID).count == 2)
    }

    /// A read on a connection the server dropped throws `.connectionLost` (it must not read as
    /// "no such job"); the next operation reconnects with backoff and goes on.
    @Test func lostConnectionIsAnErrorThenReconnects() throws {
        var h = try StoreHarness.make(.postgres)
        let created = try h.store.createJob(F.newJob(iterations: 100), upserting: F.config(1))
        let store = h.store as! PostgresStore
        #expect(try h.admin!.execute("SELECT pg_terminate_backend($1)", [String(store.connection.backendPID)]).first!.bool(0))
        usleep(50_000)
        #expect(throws: StoreError.connectionLost) { try h.store.job(created.jobID) }
        #expect(try h.store.job(created.jobID)?.id == created.jobID)
        // A write in a transaction fails whole, and the retry goes through.
        #expect(try h.admin!.execute("SELECT pg_terminate_backend($1)", [String(store.connection.backendPID)]).first!.bool(0))
        usleep(50_000)
        #expect(throws: StoreError.connectionLost) { try h.store.createJob(F.newJob(iterations: 100), upserting: F.config(1)) }
        #expect(try h.store.jobs(ofUser: F.user(1)).count == 1)
        _ = try h.store.createJob(F.newJob(iterations: 100), upserting: F.config(1))
        #expect(try h.store.jobs(ofUser: F.user(1)).count == 2)
    }

    /// SQLSTATE mapping of the errors the contract names.
    @Test func sqlStatesMapToStoreErrors() {
        func map(_ state: String?, connected: Bool = true) -> StoreError {
            PGConnection.storeError(sqlState: state, message: "m", constraint: "c", connected: connected)
        }
        #expect(map("23505") == .uniqueViolation("c"))
        #expect(map("40001") == .conflict("m") && map("40P01") == .conflict("m"))
        #expect(map("08006") == .connectionLost && map("57P01") == .connectionLost && map(nil, connected: false) == .connectionLost)
        #expect(map("SH001") == .illegalTransition("m"))
        #expect(map("SH003") == .nodeNotFound)
        #expect(map("42P01") == .database(sqlState: "42P01", message: "m"))
    }

    /// Migrations are recorded and re-running them changes nothing.
    @Test func migrationsAreRecordedAndIdempotent() throws {
        let h = try StoreHarness.make(.postgres)
        let all = try Migrations.bundled()
        #expect(all.map(\.version) == all.map(\.version).sorted() && all.count >= 4)
        #expect(try Migrations.apply(on: h.admin!).isEmpty)
        let recorded = try h.admin!.execute("SELECT version FROM schema_migrations ORDER BY version").all.map { try $0.string(0) }
        #expect(recorded == all.map(\.version))
        // Each file also re-runs cleanly by hand.
        for m in all { try h.admin!.transaction(.readCommitted) { (db: PGConnection) throws(StoreError) in try db.runScript(m.sql) } }
        #expect(try (h.store as! any PendingTrigger).pendingTriggerInstalled())
    }
}
