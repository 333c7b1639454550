import Foundation
import HTTPAPI
import JobSystem
import Logging
import PostgresStore
import SentinelRuntime
import Testing

extension PostgreSQLBackedTests {
    /// The production scheduler on real PostgreSQL: LISTEN on the libpq socket, passes on
    /// notifications, a LISTEN session killed with `pg_terminate_backend` re-established, and a
    /// production recording that `SentinelReplay` replays to the same decisions.
    @Suite struct SchedulerRunnerTests {
        /// A claimed node seen just now (4 slots) and its owner.
        func onlineNode(_ url: String, seed: UInt8) throws -> (NodeID, UserID) {
            var store = try PostgresStore(conninfo: url)
            let owner = try UserTokens.addUser(name: "owner\(seed)", discordID: nil, on: store.connection).userID
            let key = TestNode(seed: seed).publicKey
            let node = try store.claimedNode(key, owner: owner)
            return (node.id, owner)
        }

        func createJob(_ url: String, owner: UserID, iterations: Int) throws -> JobID {
            var store = try PostgresStore(conninfo: url)
            return try store.sampleJob(owner: owner, iterations: iterations)
        }

        /// Waits (bounded) for `condition`; the test then checks it.
        func eventually(_ seconds: Int = 20, _ condition: () throws -> Bool) async throws -> Bool {
            for _ in 0..<(seconds * 20) {
                if try condition() { return true }
                try await Task.sleep(for: .milliseconds(50))
            }
            return try condition()
        }

        func running(_ url: String, _ job: JobID) throws -> Int {
            try PostgresStore(conninfo: url).chunks(ofJob: job).filter { $0.status == .running }.count
        }

        @Test func itAssignsOnNotificationsReListensAfterItsSessionIsKilledAndRecordsAReplayableTrace() async throws {
            let url = try TestDatabase.fresh()
            let (node, owner) = try onlineNode(url, seed: 31)
            let first = try createJob(url, owner: owner, iterations: 3_000)
            // A fallback far away: every assignment below comes from a notification.
            var t = Thresholds(profile: .fixed)
            t.fallbackPeriod = .minutes(10)
            let profile = try Profile(spec: t.spec(base: .fixed))
            let recording = FileManager.default.temporaryDirectory.appendingPathComponent("sentinel-\(getpid()).jsonl").path
            try? FileManager.default.removeItem(atPath: recording)
            defer { try? FileManager.default.removeItem(atPath: recording) }
            var logger = Logger(label: "scheduler-test")
            logger.logLevel = .critical
            let runner = SchedulerRunner(conninfo: url, profile: profile, logger: logger, recordPath: recording)
            let task = Task { try await runner.run() }

            #expect(try await eventually { runner.status.withLock { $0.isReady } })
            #expect(try await eventually { try running(url, first) == 3 })

            // Kill the scheduler's LISTEN session; the runner must LISTEN again by itself.
            let admin = try PGConnection(url)
            let killed = try admin.execute("""
                SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                WHERE datname = current_database() AND pid <> pg_backend_pid() AND query ILIKE 'LISTEN pending_chunk%'
                """).count
            #expect(killed == 1)
            let second = try createJob(url, owner: owner, iterations: 1_000)
            #expect(try await eventually { try running(url, second) == 1 })
            let chunks = try PostgresStore(conninfo: url).chunks(ofJob: second)
            #expect(chunks.allSatisfy { $0.nodeID == node })

            task.cancel()
            _ = try? await task.value
            let text = try String(contentsOfFile: recording, encoding: .utf8)
            let parsed = try SentinelRecording.parse(text)
            #expect(parsed.header.profile == profile.name)
            let lost = try #require(parsed.steps.firstIndex { $0.input == .listenLost })
            #expect(parsed.steps[lost...].contains { $0.input == .listening })
            guard case .sameDecisions(let inputs) = try SentinelReplay.replay(parsed) else {
                Issue.record("the production recording does not replay to the same decisions")
                return
            }
            #expect(inputs == parsed.steps.count)
        }
    }
}
