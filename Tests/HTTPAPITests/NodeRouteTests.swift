import HTTPAPI
import Hummingbird
import HummingbirdTesting
import JobSystem
import PostgresStore
import Testing

extension PostgreSQLBackedTests {
    /// The nodes' signed routes and bad input over HTTP: each refusal has its status and code,
    /// and leaves the store as it was.
    @Suite struct NodeRouteTests {
        @Test func aNodeRegistersIsClaimedAndHeartbeats() async throws {
            let server = try TestServer()
            let alice = try server.addUser("alice")
            let node = TestNode(seed: 7)
            try await server.application().test(.router) { client in
                let body = node.registration()
                let register = try await client.execute(
                    uri: "/node-register", method: .post, headers: node.headers("POST", "/node-register", body: body), body: buffer(body))
                #expect(register.status == .ok)
                let code = try #require(try json(register).objectValue?["claimCode"]?.stringValue)

                let claim = try await client.execute(
                    uri: "/node-claim", method: .post, headers: bearer(alice.token), body: buffer(["claimCode": .string(code)]))
                #expect(claim.status == .ok)

                let beat = node.headers("POST", "/node-heartbeat")
                let heartbeat = try await client.execute(uri: "/node-heartbeat", method: .post, headers: beat)
                #expect(heartbeat.status == .ok)
                #expect(try json(heartbeat).objectValue?["status"]?.stringValue == "online")

                // The same signed request again: a replay, refused with its own code.
                let replay = try await client.execute(uri: "/node-heartbeat", method: .post, headers: beat)
                #expect(replay.status == .unauthorized)
                #expect(try TestResponseCode.of(replay) == "replayed_request")

                let stranger = TestNode(seed: 8)
                let unknown = try await client.execute(
                    uri: "/node-heartbeat", method: .post, headers: stranger.headers("POST", "/node-heartbeat"))
                #expect(unknown.status == .unauthorized)
                #expect(try TestResponseCode.of(unknown) == "unknown_node")
            }
            let row = try #require(try server.session().node(publicKey: node.publicKey))
            #expect(row.userID == alice.userID)
            #expect(row.status == .online)
        }

        @Test func badInputGetsAStatusAndACodeAndChangesNothing() async throws {
            let server = try TestServer()
            let alice = try server.addUser("alice")
            let node = TestNode(seed: 9)
            let limits = server.api.handlers.profile.limits
            try await server.application().test(.router) { client in
                // A body over the route's limit, refused before it is read further.
                let big = [UInt8](repeating: UInt8(ascii: "a"), count: limits.maxBodyBytes + 1)
                let oversized = try await client.execute(
                    uri: "/node-register", method: .post, headers: node.headers("POST", "/node-register", body: big), body: buffer(big))
                #expect(oversized.status == .contentTooLarge)
                #expect(try TestResponseCode.of(oversized) == "body_too_large")

                let notJSON = try await client.execute(
                    uri: "/job-create", method: .post, headers: bearer(alice.token), body: buffer(Array("{\"iterations\":".utf8)))
                #expect(notJSON.status == .badRequest)
                #expect(try TestResponseCode.of(notJSON) == "invalid_json")

                let notUTF8 = try await client.execute(
                    uri: "/job-create", method: .post, headers: bearer(alice.token), body: buffer([0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x31, 0x7D]))
                #expect(notUTF8.status == .badRequest)
                #expect(try TestResponseCode.of(notUTF8) == "invalid_json")

                let deep = Array(String(repeating: "[", count: 10_000).utf8)
                let nested = try await client.execute(uri: "/job-create", method: .post, headers: bearer(alice.token), body: buffer(deep))
                #expect(nested.status == .badRequest)

                let wrongType = try await client.execute(
                    uri: "/job-create", method: .post, headers: bearer(alice.token),
                    body: buffer(["config": sampleConfig, "iterations": "many", "accessType": "public"]))
                #expect(wrongType.status == .badRequest)
                #expect(try TestResponseCode.of(wrongType) == "invalid_field")

                let route = try await client.execute(uri: "/nope", method: .get)
                #expect(route.status == .notFound)
                #expect(try TestResponseCode.of(route) == "route_not_found")

                let method = try await client.execute(uri: "/job-create", method: .get, headers: bearer(alice.token))
                #expect(method.status == .methodNotAllowed)
                #expect(try TestResponseCode.of(method) == "method_not_allowed")

                let twice = try await client.execute(
                    uri: "/config-fetch?hash=a&hash=b", method: .get, headers: node.headers("GET", "/config-fetch"))
                #expect(twice.status == .badRequest)
                #expect(try TestResponseCode.of(twice) == "invalid_query")

                let badEscape = try await client.execute(
                    uri: "/config-fetch?hash=%zz", method: .get, headers: node.headers("GET", "/config-fetch"))
                #expect(badEscape.status == .badRequest)

                // Signed over another body: the signature does not verify.
                let body = node.registration()
                let mismatch = try await client.execute(
                    uri: "/node-register", method: .post, headers: node.headers("POST", "/node-register", body: [0x7B, 0x7D]),
                    body: buffer(body))
                #expect(mismatch.status == .unauthorized)
                #expect(try TestResponseCode.of(mismatch) == "bad_node_authentication")
            }
            let db = try PGConnection(server.url)
            #expect(try db.execute("SELECT (SELECT count(*) FROM jobs) + (SELECT count(*) FROM nodes) + (SELECT count(*) FROM jobs_configs)").first?.int(0) == 0)
        }

        @Test func failedClaimsAreRateLimitedWithRetryAfter() async throws {
            let server = try TestServer()
            let alice = try server.addUser("alice")
            let burst = server.api.handlers.profile.limits.failedClaimsPerUser.burst
            try await server.application().test(.router) { client in
                for _ in 0..<burst {
                    let miss = try await client.execute(
                        uri: "/node-claim", method: .post, headers: bearer(alice.token), body: buffer(["claimCode": "ZZZZZZ"]))
                    #expect(miss.status == .notFound)
                }
                let limited = try await client.execute(
                    uri: "/node-claim", method: .post, headers: bearer(alice.token), body: buffer(["claimCode": "ZZZZZZ"]))
                #expect(limited.status == .tooManyRequests)
                #expect(try TestResponseCode.of(limited) == "rate_limited")
                let retryAfter = try #require(limited.headers[.retryAfter].flatMap { Int($0) })
                #expect(retryAfter > 0)
                #expect(try json(limited).objectValue?["retryAfterSeconds"]?.intValue == retryAfter)
            }
        }
    }

    enum TestResponseCode {
        static func of(_ response: TestResponse) throws -> String? { try code(response) }
    }
}
