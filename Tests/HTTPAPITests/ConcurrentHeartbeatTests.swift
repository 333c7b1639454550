import HTTPAPI
import Hummingbird
import HummingbirdTesting
import JobSystem
import PostgresStore
import Testing

extension PostgreSQLBackedTests {
    /// 128 nodes heartbeating at once through the pool: as deployed (heartbeats at READ
    /// COMMITTED, `Settings.readCommittedRoutes`) nothing conflicts; forced to SERIALIZABLE,
    /// what its false conflicts cost (reruns, sometimes a 503 `transaction_conflict`); forced to
    /// REPEATABLE READ, where distinct nodes share no row, nothing is rerun either.
    @Suite struct ConcurrentHeartbeatTests {
        func heartbeats(
            _ isolation: PGConnection.Isolation, readCommittedRoutes: Set<String>? = nil
        ) async throws -> (answers: [(Int, String?)], reruns: Int, online: Int) {
            var settings = APIServer.Settings()
            settings.isolation = isolation
            if let readCommittedRoutes { settings.readCommittedRoutes = readCommittedRoutes }
            let server = try TestServer(settings: settings)
            var store = try server.session()
            let owner = try server.addUser("owner")
            var sends: [HTTPFields] = []
            for i in 0..<128 {
                let node = TestNode(seed: UInt8(i))
                _ = try store.claimedNode(node.publicKey, owner: owner.userID, online: false)
                sends.append(node.headers("POST", "/node-heartbeat"))
            }
            let all = sends
            let answers: [(Int, String?)] = try await server.application().test(.router) { client in
                try await withThrowingTaskGroup(of: (Int, String?).self) { group in
                    for h in all {
                        group.addTask {
                            let r = try await client.execute(uri: "/node-heartbeat", method: .post, headers: h)
                            return (Int(r.status.code), try code(r))
                        }
                    }
                    var out: [(Int, String?)] = []
                    for try await a in group { out.append(a) }
                    return out
                }
            }
            let online = try PGConnection(server.url).execute("SELECT count(*) FROM nodes WHERE status = 'online'").first!.int(0)
            return (answers, server.api.transactionReruns, online)
        }

        @Test func asDeployedHeartbeatsRunAtReadCommittedAndNeverConflict() async throws {
            #expect(APIServer.Settings().isolation == .serializable)
            #expect(APIServer.Settings().isolation(forPath: "/node-heartbeat") == .readCommitted)
            #expect(APIServer.Settings().isolation(forPath: "/chunk-complete") == .readCommitted)
            #expect(APIServer.Settings().isolation(forPath: "/job-create") == .serializable)
            let (answers, reruns, online) = try await heartbeats(.serializable)
            #expect(answers.allSatisfy { $0.0 == 200 })
            #expect(reruns == 0)
            #expect(online == 128)
        }

        @Test func forcedToSerializableEveryAnswerIsAHeartbeatOrARetryableConflict() async throws {
            let (answers, reruns, online) = try await heartbeats(.serializable, readCommittedRoutes: [])
            #expect(answers.count == 128)
            for (status, code) in answers {
                #expect(status == 200 || (status == 503 && code == "transaction_conflict"), "\(status) \(code ?? "")")
            }
            // Exactly the nodes answered 200 are online: a rerun applied once, a 503 not at all.
            #expect(online == answers.filter { $0.0 == 200 }.count)
            print("serializable: \(answers.filter { $0.0 == 200 }.count) of 128 heartbeats answered 200, \(reruns) reruns")
        }

        @Test func underRepeatableReadDistinctNodesNeverConflict() async throws {
            let (answers, reruns, online) = try await heartbeats(.repeatableRead, readCommittedRoutes: [])
            #expect(answers.allSatisfy { $0.0 == 200 })
            #expect(reruns == 0)
            #expect(online == 128)
        }
    }
}
