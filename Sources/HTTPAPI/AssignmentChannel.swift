import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOPosix
import PostgresStore
import ServiceLifecycle
import Synchronization
import JobSystem

/// The node assignment channel: `GET /node-assignments` upgraded to a WebSocket, signed like
/// every node route (`RequestHandlers.admitChannel`), carrying `ChannelWire` messages: on open
/// the claims the node holds, then each new claim as the database reports it.
///
/// Why a WebSocket rather than long-poll: an assignment must reach its node within
/// milliseconds (the p99 aim from job creation to first assignment is 100 ms), and with
/// long-poll every delivery ends the request, so the next one must be signed, sent and
/// authenticated (a store round trip to spend the signature) before the following assignment
/// can arrive: a window where a pushed claim waits, and one signed request per assignment per
/// node. One socket per node also shows the server which nodes listen (a closed socket is a
/// lost subscription, which the node sees at once and answers by resubscribing, learning what
/// it holds). It is also what today's nodes do (Supabase Realtime is a WebSocket).
///
/// Where assignments come from: the `chunk_assigned` NOTIFY of migration 0005, sent by the
/// database for every claim written, whichever scheduler (or today's unguarded update) wrote
/// it, after commit. One LISTEN session per API process fans them out to the sockets of their
/// nodes. NOTIFY keeps nothing for a session that is gone: when the LISTEN session is lost and
/// re-established, every open channel is closed (code 1001, "resubscribe"), so that each node
/// reopens it and reads what it holds, instead of silently missing what was assigned meanwhile.
/// A node that reads too slowly (more than `bufferLimit` messages behind) is closed the same way.
public final class AssignmentChannel: Service, Sendable {
    public static let path = "/node-assignments"
    public static let notifyChannel = "chunk_assigned"
    /// Messages queued per socket before it is closed as too slow.
    public static let bufferLimit = 4_096

    public let conninfo: String
    let logger: Logger
    private let subscribers = Mutex(Subscribers())
    private let stopping = Mutex(false)
    /// Whether the LISTEN session is up (part of /ready for the API role).
    private let listening = Mutex(false)

    struct Subscribers {
        var byNode: [NodeID: [UInt64: AsyncStream<ChunkAssignment>.Continuation]] = [:]
        var nextID: UInt64 = 0
        var count = 0
    }

    init(conninfo: String, logger: Logger) {
        self.conninfo = conninfo
        self.logger = logger
    }

    public var isListening: Bool { listening.withLock { $0 } }
    public var openChannels: Int { subscribers.withLock { $0.count } }

    // MARK: The route

    func addRoute<Context: WebSocketRequestContext & RequestContext>(to router: Router<Context>, server: APIServer) {
        router.ws(RouterPath(stringLiteral: Self.path)) { request, _ in
            guard request.headers[.upgrade]?.lowercased() == "websocket" else {
                throw RejectedUpgrade(response: TransportRejection.upgradeRequired(Self.path).response)
            }
            switch await self.admit(request, server: server) {
            case .admitted: return .upgrade([:])
            case .rejected(let response): throw RejectedUpgrade(response: response)
            }
        } onUpgrade: { inbound, outbound, context in
            // Admitted: the key is a registered node's (its signature verified and spent).
            guard let field = context.request.headers.first(where: { $0.name.canonicalName == "x-node-key" }),
                let key = PublicKey(base64: field.value.trimmingSpaces)
            else { return }
            try await self.serve(key: key, server: server, inbound: inbound, outbound: outbound)
        }
    }

    /// Authenticates the upgrade request in one transaction.
    func admit(_ request: Request, server: APIServer) async -> RequestHandlers.ChannelAdmission {
        var api: APIRequest
        switch HTTPMapping.head(request) {
        case .success(let head): api = head
        case .failure(let rejection): return .rejected(rejection.response)
        }
        api.body = []
        let head = api
        return await server.pool.withStore({ store in
            for _ in 0...server.settings.conflictRetries {
                do throws(StoreError) {
                    return try store.connection.requestTransaction(.serializable) { _ in
                        (server.handlers.admitChannel(head, store: &store, now: server.clock()), true)
                    }
                } catch {
                    if case .conflict = error { continue }
                    return .rejected(TransportRejection.storeUnavailable("\(error)").response)
                }
            }
            return .rejected(TransportRejection.conflict(attempts: server.settings.conflictRetries + 1).response)
        }, unavailable: { .rejected(TransportRejection.storeUnavailable("\($0)").response) })
    }

    /// One open channel: subscribe first, then send what the node holds (so nothing assigned in
    /// between is missed), then forward its assignments until either side closes.
    func serve(key: PublicKey, server: APIServer, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async throws {
        enum Held: Sendable { case held(NodeID, [ChunkAssignment]), unknown, failed(String) }
        let first: Held = await server.pool.withStore({ store in
            do throws(StoreError) {
                guard let node = try store.node(publicKey: key) else { return .unknown }
                return .held(node.id, try store.heldAssignments(of: node.id))
            } catch {
                return .failed("\(error)")
            }
        }, unavailable: { .failed("\($0)") })
        // The node is known from here on; its subscription starts before the held read below.
        guard case .held(let node, _) = first else {
            try await outbound.close(.unexpectedServerError, reason: "could not read the node's claims; resubscribe")
            return
        }
        let (id, stream) = subscribe(node)
        defer { unsubscribe(node, id) }
        // Read again after subscribing: a claim made between the first read and the
        // subscription is then in `held` or in the stream.
        let held: Held = await server.pool.withStore({ store in
            do throws(StoreError) { return .held(node, try store.heldAssignments(of: node)) } catch { return .failed("\(error)") }
        }, unavailable: { .failed("\($0)") })
        guard case .held(_, let list) = held else {
            try await outbound.close(.unexpectedServerError, reason: "could not read the node's claims; resubscribe")
            return
        }
        try await outbound.write(.text(ChannelWire.encode(.held(list))))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                // The node sends nothing but control frames; reading lets them be answered and
                // ends when the node closes.
                for try await _ in inbound {}
            }
            group.addTask {
                for await assignment in stream {
                    try await outbound.write(.text(ChannelWire.encode(.assigned(assignment))))
                }
                // Finished by the hub: the feed was interrupted or the node fell behind.
                try await outbound.close(.goingAway, reason: "resubscribe")
            }
            try await group.next()
            group.cancelAll()
        }
    }

    // MARK: Fan-out

    func subscribe(_ node: NodeID) -> (UInt64, AsyncStream<ChunkAssignment>) {
        let (stream, continuation) = AsyncStream<ChunkAssignment>.makeStream(bufferingPolicy: .bufferingOldest(Self.bufferLimit))
        let id = subscribers.withLock { s in
            s.nextID += 1
            s.byNode[node, default: [:]][s.nextID] = continuation
            s.count += 1
            return s.nextID
        }
        return (id, stream)
    }

    func unsubscribe(_ node: NodeID, _ id: UInt64) {
        let removed = subscribers.withLock { s -> AsyncStream<ChunkAssignment>.Continuation? in
            guard let c = s.byNode[node]?.removeValue(forKey: id) else { return nil }
            if s.byNode[node]?.isEmpty == true { s.byNode[node] = nil }
            s.count -= 1
            return c
        }
        removed?.finish()
    }

    /// Hands an assignment to every open channel of its node.
    func deliver(_ assignment: ChunkAssignment) {
        let targets = subscribers.withLock { Array(($0.byNode[assignment.nodeID] ?? [:]).values) }
        for c in targets {
            if case .dropped = c.yield(assignment) { c.finish() }
        }
    }

    /// Closes every open channel (their nodes resubscribe).
    func closeAll() {
        let all = subscribers.withLock { s in s.byNode.values.flatMap { $0.values } }
        for c in all { c.finish() }
    }

    // MARK: The LISTEN session (a Service)

    /// LISTENs on `chunk_assigned` on a thread of its own (libpq blocks), reconnecting with
    /// backoff, until graceful shutdown or cancellation.
    public func run() async throws {
        let thread = NIOThreadPool(numberOfThreads: 1)
        thread.start()
        defer { thread.shutdownGracefully { _ in } }
        try await withGracefulShutdownHandler {
            try await withTaskCancellationHandler {
                try await thread.runIfActive { self.listenLoop() }
            } onCancel: {
                self.stop()
            }
        } onGracefulShutdown: {
            self.stop()
        }
    }

    func stop() {
        stopping.withLock { $0 = true }
    }

    private func listenLoop() {
        var pause: UInt32 = 100_000
        while !stopping.withLock({ $0 }) {
            let listener: PostgresListener
            do {
                listener = try PostgresListener(conninfo: conninfo, channel: Self.notifyChannel)
            } catch {
                logger.warning("assignment feed: cannot LISTEN (\(error)); retrying")
                usleep(pause)
                pause = min(pause * 2, 5_000_000)
                continue
            }
            pause = 100_000
            // Whatever was assigned while not listening was not forwarded: make every node
            // resubscribe and read what it holds.
            closeAll()
            listening.withLock { $0 = true }
            logger.info("assignment feed: listening on \(Self.notifyChannel)")
            while !stopping.withLock({ $0 }) {
                do {
                    for n in try listener.wait(timeout: .milliseconds(250)) {
                        guard let json = try? JSONValue.parse(n.payload), let a = ChannelWire.assignment(json) else {
                            logger.warning("assignment feed: unreadable payload \(n.payload.prefix(200))")
                            continue
                        }
                        deliver(a)
                    }
                } catch {
                    logger.warning("assignment feed: LISTEN session lost (\(error)); reconnecting")
                    break
                }
            }
            listening.withLock { $0 = false }
        }
        closeAll()
    }
}

/// A refused upgrade, answered with the handlers' status and body.
struct RejectedUpgrade: HTTPResponseError {
    let response: APIResponse
    var status: HTTPResponse.Status { HTTPResponse.Status(code: response.status) }
    func response(from request: Request, context: some RequestContext) throws -> Response {
        HTTPMapping.response(response)
    }
}
