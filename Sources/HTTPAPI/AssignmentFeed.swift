import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOPosix
import PostgresStore
import ServiceLifecycle
import Synchronization
import JobSystem

/// The server side of the node assignment channel (`AssignmentChannel`, `GET /node-assignments`):
/// the upgrade request is opened by the handlers (`RequestHandlers.openAssignmentChannel`: signed
/// like every node route, the signature spent, in one transaction), then the socket carries
/// `AssignmentChannelMessage`s as JSON text: `subscribed` with the chunks the node holds, then
/// one `assigned` per new claim as the database reports it.
///
/// Why a WebSocket rather than long-poll: an assignment must reach its node within
/// milliseconds (the p99 aim from job creation to first assignment is 100 ms), and with
/// long-poll every delivery ends the request, so the next one must be signed, sent and
/// authenticated (a store round trip to spend the signature) before the following assignment
/// can arrive: a window where a pushed claim waits, and one signed request per assignment per
/// node. One socket per node also tells both sides at once when the subscription is lost (the
/// node then resubscribes and learns what it holds). And it is what today's nodes use
/// (Supabase Realtime is a WebSocket).
///
/// Where assignments come from: the `chunk_assigned` NOTIFY of migration 0005, sent by the
/// database for every claim written, whichever scheduler (or today's unguarded update) wrote
/// it, after commit. One LISTEN session per API process fans them out to the sockets of their
/// nodes. NOTIFY keeps nothing for a session that is gone: when the LISTEN session is lost and
/// re-established, every open channel is closed (code 1001, "resubscribe"), so that each node
/// reopens it and reads what it holds instead of silently missing what was assigned meanwhile.
/// A node that reads too slowly (more than `bufferLimit` messages behind) is closed the same way.
public final class AssignmentFeed: Service, Sendable {
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
        router.ws(RouterPath(stringLiteral: AssignmentChannel.path)) { request, _ in
            guard request.headers[.upgrade]?.lowercased() == "websocket" else {
                throw RejectedUpgrade(response: TransportRejection.upgradeRequired(AssignmentChannel.path).response)
            }
            switch await self.open(request, server: server) {
            case .opened: return .upgrade([:])
            case .refused(let outcome): throw RejectedUpgrade(response: outcome.response)
            }
        } onUpgrade: { inbound, outbound, context in
            try await self.serve(context.request, server: server, inbound: inbound, outbound: outbound)
        }
    }

    /// Opens the channel through the handlers, in one transaction (rerun on a conflict).
    func open(_ request: Request, server: APIServer) async -> ChannelOpening {
        var api: APIRequest
        switch HTTPMapping.head(request) {
        case .success(let head): api = head
        case .failure(let rejection): return .refused(rejection.outcome)
        }
        api.body = []
        let head = api
        return await server.pool.withStore({ store in
            for _ in 0...server.settings.conflictRetries {
                do throws(StoreError) {
                    return try store.connection.requestTransaction(server.settings.isolation) { _ in
                        (server.handlers.openAssignmentChannel(head, store: &store, now: server.clock()), true)
                    }
                } catch {
                    if case .conflict = error { continue }
                    return .refused(TransportRejection.storeUnavailable("\(error)").outcome)
                }
            }
            return .refused(TransportRejection.conflict(attempts: server.settings.conflictRetries + 1).outcome)
        }, unavailable: { .refused(TransportRejection.storeUnavailable("\($0)").outcome) })
    }

    /// One open channel. The opening (in `shouldUpgrade`) authenticated the node; here it is
    /// found again without spending anything: by its key (`X-Node-Key`, verified) or, for
    /// today's unsigned nodes the opening let in, by `?nodeId=`. Subscribes first, then reads
    /// what the node holds (so nothing assigned in between is missed), sends `subscribed`, then
    /// forwards its assignments until either side closes.
    func serve(_ request: Request, server: APIServer, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async throws {
        let key = request.headers.first { $0.name.canonicalName == "x-node-key" }.flatMap { PublicKey(base64: $0.value.trimmingSpaces) }
        let named: NodeID?
        switch HTTPMapping.head(request) {
        case .success(let head): named = head.query["nodeId"].flatMap { NodeID(uuidString: $0) }
        case .failure: named = nil
        }
        enum Found: Sendable { case node(NodeID), none, failed(String) }
        let found: Found = await server.pool.withStore({ store in
            do throws(StoreError) {
                if let key { return try store.node(publicKey: key).map { .node($0.id) } ?? .none }
                return named.map { .node($0) } ?? .none
            } catch {
                return .failed("\(error)")
            }
        }, unavailable: { .failed("\($0)") })
        guard case .node(let node) = found else {
            try await outbound.close(.unexpectedServerError, reason: "could not find the node; resubscribe")
            return
        }
        let (id, stream) = subscribe(node)
        defer { unsubscribe(node, id) }
        enum Held: Sendable { case held([ChunkAssignment]), failed(String) }
        let held: Held = await server.pool.withStore({ store in
            do throws(StoreError) {
                return .held(try store.runningChunks(ofNode: node).compactMap(ChunkAssignment.init(running:)))
            } catch {
                return .failed("\(error)")
            }
        }, unavailable: { .failed("\($0)") })
        guard case .held(let list) = held else {
            try await outbound.close(.unexpectedServerError, reason: "could not read the node's claims; resubscribe")
            return
        }
        try await outbound.write(.text(AssignmentChannelMessage.subscribed(nodeID: node, held: list).json.canonicalString))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                // The node sends nothing but control frames; reading lets them be answered and
                // ends when the node closes.
                for try await _ in inbound {}
            }
            group.addTask {
                for await assignment in stream {
                    try await outbound.write(.text(AssignmentChannelMessage.assigned(assignment).json.canonicalString))
                }
                // Finished by the feed (it was interrupted, or the node fell behind), unless the
                // node closed first and this task was cancelled.
                if !Task.isCancelled { try await outbound.close(.goingAway, reason: "resubscribe") }
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
            // Listening from here on. Then, whatever was assigned while not listening was not
            // forwarded: make every node resubscribe and read what it holds. In this order, a
            // node whose channel was closed finds the feed listening (and /ready true) when it
            // comes back; the other order let it see the feed down for a moment (a CI run's
            // `losingTheFeedsListenClosesChannelsSoNodesResubscribe` did).
            listening.withLock { $0 = true }
            closeAll()
            logger.info("assignment feed: listening on \(Self.notifyChannel)")
            while !stopping.withLock({ $0 }) {
                do {
                    for n in try listener.wait(timeout: .milliseconds(250)) {
                        guard let json = try? JSONValue.parse(n.payload), let a = try? ChunkAssignment(json: json) else {
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
