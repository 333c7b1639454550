import HTTPAPI
import Hummingbird
import HummingbirdTesting
import JobSystem
import PostgresStore
import Testing

extension PostgreSQLBackedTests {
    /// Requests racing on the same rows through the pool: each is one serializable transaction,
    /// reruns on conflicts, and the store ends consistent whatever interleaving happened.
    @Suite struct ConcurrentRequestTests {
        @Test func racingCompletionsOfOneJobAreCountedExactlyOnce() async throws {
            let server = try TestServer()
            let node = TestNode(seed: 41)
            var store = try server.session()
            let owner = try server.addUser("owner")
            let registered = try store.claimedNode(node.publicKey, owner: owner.userID)
            let job = try store.sampleJob(owner: owner.userID, iterations: 4_000)
            let chunks = try store.chunks(ofJob: job)
            let assigned = try store.applyAssignments(
                chunks.map { PlannedAssignment(chunkID: $0.id, nodeID: registered.id) }, guarded: true, onlineWindow: .seconds(45))
            #expect(assigned.count == 4)
            let model = try DPSModel(config: try SimConfig(json: sampleConfig))
            // Each chunk's completion twice, signed a second apart: a retry racing its first try.
            var requests: [(ChunkID, ByteBuffer, HTTPFields)] = []
            for a in assigned {
                let result = model.run(seedOffset: a.seedOffset, iterations: a.iterations)
                let body: JSONValue = ["chunkId": .string(a.chunkID.uuidString), "attempt": .number(Double(a.attempt)), "result": result.json]
                for ago: Int64 in [0, 1] {
                    requests.append((a.chunkID, buffer(body), node.headers("POST", "/chunk-complete", body: body.canonicalBytes, secondsAgo: ago)))
                }
            }
            let sends = requests
            let answers: [(ChunkID, Int, String?)] = try await server.application().test(.router) { client in
                try await withThrowingTaskGroup(of: (ChunkID, Int, String?).self) { group in
                    for (chunk, body, headers) in sends {
                        group.addTask {
                            let r = try await client.execute(uri: "/chunk-complete", method: .post, headers: headers, body: body)
                            return (chunk, Int(r.status.code), try code(r))
                        }
                    }
                    var all: [(ChunkID, Int, String?)] = []
                    for try await answer in group { all.append(answer) }
                    return all
                }
            }
            #expect(answers.count == 8)
            // Accepted (first or duplicate) or, after every rerun conflicted, 503: nothing else.
            for (_, status, code) in answers {
                #expect(status == 200 || (status == 503 && code == "transaction_conflict"), "\(status) \(code ?? "")")
            }
            let after = try server.session()
            let rows = try after.chunks(ofJob: job)
            let completed = rows.filter { $0.status == .completed }.count
            let jobRow = try #require(try after.job(job))
            #expect(jobRow.completedIterations == 1_000 * completed)
            #expect((jobRow.status == .completed) == (completed == 4))
            #expect((jobRow.result != nil) == (completed == 4))
            // A chunk is completed exactly when one of its completions was answered 200.
            for row in rows {
                #expect((row.status == .completed) == answers.contains { $0.0 == row.id && $0.1 == 200 })
            }
        }
    }
}
