import HTTPAPI
import Hummingbird
import HummingbirdTesting
import HummingbirdWSClient
import HummingbirdWSTesting
import HummingbirdWebSocket
import JobSystem
import PostgresStore
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension PostgreSQLBackedTests {
    /// The node assignment channel: a signed WebSocket that sends what the node holds, then each
    /// new claim as PostgreSQL's `chunk_assigned` NOTIFY reports it.
    @Suite struct AssignmentChannelTests {
        /// A claimed, online node with a three-chunk job pending; returns the node and the chunks.
        func setUp(_ server: TestServer, node: TestNode) throws -> (NodeID, [ChunkID]) {
            var store = try server.session()
            let owner = try server.addUser("owner")
            let registered = try store.claimedNode(node.publicKey, owner: owner.userID)
            let job = try store.sampleJob(owner: owner.userID, iterations: 3_000)
            return (registered.id, try store.chunks(ofJob: job).map(\.id))
        }

        func assign(_ chunk: ChunkID, to node: NodeID, _ server: TestServer) throws -> ChunkAssignment {
            var store = try server.session()
            let made = try store.applyAssignments([PlannedAssignment(chunkID: chunk, nodeID: node)], guarded: true, onlineWindow: .seconds(45))
            return try #require(made.first)
        }

        @Test func theChannelSendsHeldClaimsThenEachNewAssignment() async throws {
            let server = try TestServer()
            let node = TestNode(seed: 21)
            let (nodeID, chunks) = try setUp(server, node: node)
            let held = try assign(chunks[0], to: nodeID, server)
            let app = server.application()
            try await app.test(.live) { client in
                // The feed's LISTEN session comes up with the application.
                for _ in 0..<200 where !server.api.feed.isListening { try await Task.sleep(for: .milliseconds(50)) }
                #expect(server.api.feed.isListening)
                var configuration = WebSocketClientConfiguration()
                configuration.additionalHeaders = node.headers("GET", AssignmentChannel.path)
                let received = Mutex<[AssignmentChannelMessage]>([])
                try await client.ws(AssignmentChannel.path, configuration: configuration) { inbound, outbound, _ in
                    var messages = inbound.messages(maxSize: 1 << 20).makeAsyncIterator()
                    if case .text(let first)? = try await messages.next(), let message = try? AssignmentChannelMessage(bytes: Array(first.utf8)) {
                        received.withLock { $0.append(message) }
                    }
                    let pushed = try self.assign(chunks[1], to: nodeID, server)
                    if case .text(let next)? = try await messages.next(), let message = try? AssignmentChannelMessage(bytes: Array(next.utf8)) {
                        received.withLock { $0.append(message) }
                    }
                    #expect(received.withLock { $0.last } == .assigned(pushed))
                    try await outbound.close(.normalClosure, reason: nil)
                }
                let got = received.withLock { $0 }
                #expect(got.first == .subscribed(nodeID: nodeID, held: [held]))
                #expect(got.count == 2)
            }
        }

        @Test func losingTheFeedsListenClosesChannelsSoNodesResubscribe() async throws {
            let server = try TestServer()
            let node = TestNode(seed: 24)
            _ = try setUp(server, node: node)
            try await server.application().test(.live) { client in
                for _ in 0..<200 where !server.api.feed.isListening { try await Task.sleep(for: .milliseconds(50)) }
                #expect(server.api.feed.isListening)
                var configuration = WebSocketClientConfiguration()
                configuration.additionalHeaders = node.headers("GET", AssignmentChannel.path)
                let close = try await client.ws(AssignmentChannel.path, configuration: configuration) { inbound, _, _ in
                    var messages = inbound.messages(maxSize: 1 << 20).makeAsyncIterator()
                    _ = try await messages.next()  // subscribed
                    let admin = try PGConnection(server.url)
                    let killed = try admin.execute("""
                        SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                        WHERE datname = current_database() AND pid <> pg_backend_pid() AND query ILIKE 'LISTEN chunk_assigned%'
                        """).count
                    #expect(killed == 1)
                    // The server closes the channel once its LISTEN is back; nothing else arrives.
                    while let message = try await messages.next() { Issue.record("unexpected \(message)") }
                }
                #expect(close?.closeCode == .goingAway)
                #expect(server.api.feed.isListening)
            }
        }

        @Test func anUnsignedOrPlainRequestIsRefusedWithACode() async throws {
            let server = try TestServer()
            let node = TestNode(seed: 22)
            _ = try setUp(server, node: node)
            try await server.application().test(.router) { client in
                let upgrade = fields([("Upgrade", "websocket"), ("Connection", "Upgrade")])
                let unsigned = try await client.execute(uri: AssignmentChannel.path, method: .get, headers: upgrade)
                #expect(unsigned.status == .unauthorized)
                #expect(try code(unsigned) == "bad_node_authentication")

                let stranger = TestNode(seed: 23)
                var headers = stranger.headers("GET", AssignmentChannel.path)
                headers.append(contentsOf: upgrade)
                let unknown = try await client.execute(uri: AssignmentChannel.path, method: .get, headers: headers)
                #expect(unknown.status == .unauthorized)
                #expect(try code(unknown) == "unknown_node")

                let plain = try await client.execute(
                    uri: AssignmentChannel.path, method: .get, headers: node.headers("GET", AssignmentChannel.path))
                #expect(plain.status.code == 426)
                #expect(try code(plain) == "upgrade_required")
            }
        }
    }
}
