import HTTPAPI
import Hummingbird
import HummingbirdTesting
import JobSystem
import PostgresStore
import Testing

extension PostgreSQLBackedTests {
    /// The portal's routes over HTTP on PostgreSQL, with users' API tokens.
    @Suite struct PortalRouteTests {
        @Test func aUserWithATokenSubmitsAndReadsAJob() async throws {
            let server = try TestServer()
            let alice = try server.addUser("alice")
            try await server.application().test(.router) { client in
                let upsert = try await client.execute(
                    uri: "/config-upsert", method: .post, headers: bearer(alice.token), body: buffer(["config": sampleConfig]))
                #expect(upsert.status == .ok)
                let hash = try #require(try json(upsert).objectValue?["hash"]?.stringValue)
                #expect(hash == ConfigHash.of(sampleConfig, hasher: SodiumSHA256()).hex)

                let create = try await client.execute(
                    uri: "/job-create", method: .post, headers: bearer(alice.token),
                    body: buffer(["config": sampleConfig, "iterations": 2_500, "accessType": "private"]))
                #expect(create.status == .ok)
                let created = try json(create).objectValue ?? [:]
                #expect(created["chunks"]?.intValue == 3)
                // The merged RPC upserts the config again: still the one row of that hash.
                let jobID = try #require(created["jobId"]?.stringValue)

                let read = try await client.execute(uri: "/jobs/\(jobID)", method: .get, headers: bearer(alice.token))
                #expect(read.status == .ok)
                #expect(try json(read).objectValue?["totalIterations"]?.intValue == 2_500)
                let list = try await client.execute(uri: "/jobs", method: .get, headers: bearer(alice.token))
                #expect(list.status == .ok)
                #expect(try String(decoding: json(list).canonicalBytes, as: UTF8.self).contains(jobID))
            }
            let store = try server.session()
            let jobs = try store.jobs(ofUser: alice.userID)
            #expect(jobs.count == 1)
            #expect(try store.chunks(ofJob: jobs[0].id).map(\.iterations) == [1_000, 1_000, 500])
        }

        @Test func aPrivateJobIsNotFoundForAnotherUserNorAnonymously() async throws {
            let server = try TestServer()
            let alice = try server.addUser("alice")
            let bob = try server.addUser("bob")
            try await server.application().test(.router) { client in
                let create = try await client.execute(
                    uri: "/job-create", method: .post, headers: bearer(alice.token),
                    body: buffer(["config": sampleConfig, "iterations": 1_000, "accessType": "private"]))
                #expect(create.status == .ok)
                let jobID = try #require(try json(create).objectValue?["jobId"]?.stringValue)
                let asBob = try await client.execute(uri: "/jobs/\(jobID)", method: .get, headers: bearer(bob.token))
                #expect(asBob.status == .notFound)
                #expect(try code(asBob) == "job_not_found")
                let anonymous = try await client.execute(uri: "/jobs/\(jobID)", method: .get)
                #expect(anonymous.status == .notFound)
            }
        }

        @Test func tokensAreCheckedRevocableAndStoredOnlyAsHashes() async throws {
            let server = try TestServer()
            let alice = try server.addUser("alice")
            let body = buffer(["config": sampleConfig, "iterations": 1_000, "accessType": "public"])
            try await server.application().test(.router) { client in
                let none = try await client.execute(uri: "/job-create", method: .post, body: body)
                #expect(none.status == .unauthorized)
                #expect(try code(none) == "unauthenticated")
                let forged = try await client.execute(
                    uri: "/job-create", method: .post, headers: bearer(UserTokens.newToken()), body: body)
                #expect(forged.status == .unauthorized)
                #expect(try code(forged) == "invalid_token")
                let basic = try await client.execute(
                    uri: "/job-create", method: .post, headers: fields([("Authorization", "Basic YWxpY2U6cHc=")]), body: body)
                #expect(basic.status == .unauthorized)
                #expect(try code(basic) == "invalid_token")

                let db = try PGConnection(server.url)
                #expect(try UserTokens.revokeTokens(userName: "alice", on: db) == 1)
                let revoked = try await client.execute(uri: "/job-create", method: .post, headers: bearer(alice.token), body: body)
                #expect(revoked.status == .unauthorized)
                #expect(try code(revoked) == "invalid_token")
                let fresh = try #require(try UserTokens.issueToken(userName: "alice", on: db))
                #expect(fresh.userID == alice.userID)
                let accepted = try await client.execute(uri: "/job-create", method: .post, headers: bearer(fresh.token), body: body)
                #expect(accepted.status == .ok)
            }
            let db = try PGConnection(server.url)
            let stored = try db.execute("SELECT token_sha256 FROM api_tokens ORDER BY created_at").all.map { try $0.string(0) }
            #expect(stored.count == 2)
            #expect(stored.first == UserTokens.digest(alice.token))
            #expect(!stored.contains(alice.token))
            // Nothing was created by the refused requests: one job, the accepted one.
            #expect(try db.execute("SELECT count(*) FROM jobs").first?.int(0) == 1)
        }

        @Test func aTakenUserNameIsAUniqueViolation() throws {
            let server = try TestServer()
            _ = try server.addUser("alice")
            #expect(throws: StoreError.self) { _ = try server.addUser("alice") }
        }
    }
}
