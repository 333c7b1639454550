import Hummingbird
import HummingbirdWebSocket
import Logging
import Metrics
import PostgresStore
import Synchronization
import JobSystem

#if canImport(Glibc)
import Glibc
#endif

/// The System's request handlers served over HTTP by Hummingbird 2, on PostgreSQL.
///
/// Every request is ONE database transaction, `BEGIN ISOLATION LEVEL SERIALIZABLE … COMMIT`
/// (`PGConnection.requestTransaction`; the store operations a handler calls nest in it as
/// savepoints): a handler's reads and writes are atomic and see no other request's half, which
/// is what the simulation's handlers assume when they run a request at one instant. A
/// serialization failure or deadlock anywhere in it reruns the whole request (rate-limiter
/// tokens restored), up to `conflictRetries` times, then answers 503 `transaction_conflict`
/// with `Retry-After`. Serializable rather than the store's row locks alone because a
/// handler's statements (authenticate, read, decide, write) are separate operations: only the
/// request's own transaction makes them one.
///
/// The routes are `RequestHandlers`' own, unchanged: this adapter does not route, so an unknown
/// path or method gets the handlers' 404 `route_not_found` / 405 `method_not_allowed`. Paths the
/// process serves itself (`reservedPaths`: /status, /metrics, /ready) and the node assignment
/// channel (`AssignmentChannel`) are the exceptions.
///
/// Portal users authenticate with `Authorization: Bearer <token>` (`UserTokens`); nodes sign
/// their requests (`X-Node-*`), verified by the handlers.
public final class APIServer: Sendable {
    public struct Settings: Sendable {
        /// Database sessions (and threads) serving requests at once.
        public var poolSize = 4
        /// Reruns of a request whose transaction conflicted, before 503.
        public var conflictRetries = 8
        /// The requests' isolation. SERIALIZABLE (the default) makes each request behave as if
        /// alone, as the simulation runs it. Its price is false conflicts: PostgreSQL's
        /// predicate locks are coarse (index pages, promoted to pages and relations), and a
        /// heartbeat rewrites its node's index entries (`last_seen_at` is indexed), so
        /// concurrent heartbeats of different nodes conflict now and then and are rerun
        /// (`HTTPAPITests` measures it). REPEATABLE READ conflicts only on rows both write,
        /// but lets two requests each decide on a snapshot the other changes (write skew: two
        /// job creations can both pass the unfinished-jobs limit).
        public var isolation: PGConnection.Isolation = .serializable
        /// Routes that run at READ COMMITTED whatever `isolation` says, because every decision
        /// they make is taken by one guarded statement or under row locks, so that any
        /// interleaving gives the outcome of some serial order:
        /// - /node-heartbeat: the caller's row by its key, the signature inserted once (unique
        ///   key), then one `UPDATE nodes … WHERE id AND user_id IS NOT NULL` and one guarded
        ///   `UPDATE jobs_chunks … WHERE node_id AND status = 'running'` (a node deleted or
        ///   unclaimed meanwhile matches nothing: the answer a serial order would give);
        /// - /chunk-complete: the same authentication, then `completeChunk`, which locks the
        ///   chunk and its job (`FOR UPDATE`) before reading what it decides on; the unlocked
        ///   read before it only takes the chunk's immutable columns (config, iterations).
        /// They are the hot routes: under SERIALIZABLE, concurrent heartbeats of different
        /// nodes failed each other (a heartbeat reads the node's index pages and, `last_seen_at`
        /// being indexed, writes new entries into them), up to 503 `transaction_conflict`.
        public var readCommittedRoutes: Set<String> = ["/node-heartbeat", "/chunk-complete"]
        public init() {}

        /// The isolation `path`'s requests run at.
        public func isolation(forPath path: String) -> PGConnection.Isolation {
            readCommittedRoutes.contains(path) ? .readCommitted : isolation
        }
    }

    public let handlers: RequestHandlers
    public let pool: StorePool
    public let settings: Settings
    /// The node assignment channel's server side.
    public let feed: AssignmentFeed
    let limiter: Mutex<RateLimiter>
    let logger: Logger
    let clock: @Sendable () -> Timestamp
    let retries = Counter(label: "api_transaction_retries_total")
    private let reruns = Mutex(0)

    /// Requests rerun after a conflict, since start (also `api_transaction_retries_total`).
    public var transactionReruns: Int { reruns.withLock { $0 } }

    /// - Parameter clock: the handlers' `now` (for signed timestamps only); the wall clock in
    ///   production, a fixed one in tests.
    public init(
        handlers: RequestHandlers, conninfo: String, settings: Settings = Settings(), logger: Logger,
        clock: @escaping @Sendable () -> Timestamp = APIServer.wallClock
    ) {
        self.handlers = handlers
        self.settings = settings
        self.pool = StorePool(conninfo: conninfo, size: settings.poolSize)
        self.limiter = Mutex(RateLimiter())
        self.logger = logger
        self.clock = clock
        self.feed = AssignmentFeed(conninfo: conninfo, logger: logger)
    }

    /// The wall clock, in microseconds since the epoch.
    @Sendable public static func wallClock() -> Timestamp {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Timestamp(micros: Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1_000)
    }

    /// Adds the API to `router`: the node channel's WebSocket route, and a middleware that
    /// serves every other request through the handlers, except `reservedPaths`, which go on to
    /// the router's own routes.
    public func addRoutes<Context: WebSocketRequestContext & RequestContext>(
        to router: Router<Context>, reservedPaths: Set<String> = []
    ) {
        router.add(middleware: HandlersMiddleware(server: self, passThrough: reservedPaths.union([AssignmentChannel.path])))
        feed.addRoute(to: router, server: self)
    }

    /// Serves one HTTP request through the handlers.
    func respond(to request: Request) async -> Response {
        var head: APIRequest
        switch HTTPMapping.head(request) {
        case .success(let h): head = h
        case .failure(let rejection): return HTTPMapping.response(rejection.response)
        }
        let bearer: String?
        switch HTTPMapping.bearerToken(request) {
        case .success(let token): bearer = token
        case .failure(let rejection): return HTTPMapping.response(rejection.response)
        }
        let limit = handlers.bodyLimit(path: head.path)
        do {
            guard let body = try await HTTPMapping.readBody(request, limit: limit) else {
                let declared = request.headers[.contentLength].flatMap { Int($0) } ?? limit + 1
                return HTTPMapping.response(TransportRejection.api(handlers.bodyTooLarge(path: head.path, bytes: declared)).response)
            }
            head.body = body
        } catch {
            return HTTPMapping.response(TransportRejection.unreadable("the body broke off (\(error))").response)
        }
        let outcome = await serve(head, bearerToken: bearer)
        Counter(label: "api_requests_total", dimensions: [
            ("route", Self.routeLabel(head.path)), ("status", String(outcome.status)),
        ]).increment()
        if outcome.status >= 500 {
            logger.warning("\(head.method) \(head.path): \(outcome.status) \(outcome.error.map { "\($0)" } ?? outcome.response.errorCode ?? "")")
        }
        return HTTPMapping.response(outcome.response)
    }

    /// Runs `request` (with the portal's token, if any) as one transaction; see the type.
    public func serve(_ request: APIRequest, bearerToken: String?) async -> HandlerOutcome {
        // The routes that spend rate-limiter tokens hold the limiter for their whole request,
        // so a rerun can give back what the rolled-back attempt took. They are rare (and
        // limited): serialising them costs nothing.
        let limited = request.path == "/node-register" || request.path == "/node-claim"
        return await pool.withStore({ [self] store in
            if limited {
                return limiter.withLock { limiter in attempts(request, bearerToken: bearerToken, store: &store, limiter: &limiter) }
            }
            var scratch = RateLimiter(capacity: 1)
            return attempts(request, bearerToken: bearerToken, store: &store, limiter: &scratch)
        }, unavailable: { error in TransportRejection.storeUnavailable("\(error)").outcome })
    }

    /// Runs a request's transaction in a session, rerunning it on a conflict or once after a
    /// lost connection (nothing of it committed; the session reconnects).
    func attempts(_ request: APIRequest, bearerToken: String?, store: inout PostgresStore, limiter: inout RateLimiter) -> HandlerOutcome {
        let saved = limiter
        var conflicts = 0
        var lost = 0
        while true {
            do throws(StoreError) {
                return try store.connection.requestTransaction(settings.isolation(forPath: request.path)) { _ in
                    transactionBody(request, bearerToken: bearerToken, store: &store, limiter: &limiter)
                }
            } catch {
                limiter = saved
                switch error {
                case .conflict:
                    conflicts += 1
                    retries.increment()
                    reruns.withLock { $0 += 1 }
                    guard conflicts <= settings.conflictRetries else {
                        return TransportRejection.conflict(attempts: conflicts).outcome
                    }
                    // Jittered backoff so that the requests that collided do not collide again.
                    usleep(UInt32(1_000 << min(conflicts, 5)) + UInt32.random(in: 0..<1_000))
                case .connectionLost:
                    lost += 1
                    guard lost <= 1 else { return TransportRejection.storeUnavailable("connection lost").outcome }
                case .database(let state, _) where state == "08007":
                    // Maybe applied: a rerun could apply it twice (a second job). The client
                    // decides (a node's completion is idempotent; the portal can list its jobs).
                    return TransportRejection.storeUnavailable("connection lost while committing; the request may have been applied").outcome
                default:
                    logger.error("request \(request.method) \(request.path) failed in the database: \(error)")
                    return TransportRejection.internalError("\(error)").outcome
                }
            }
        }
    }

    /// One attempt: the user of the token, then the handler. Commits whatever the handler
    /// answered (a rejection may have spent a signature, which must stay spent); an unknown
    /// token rolls back.
    func transactionBody(
        _ request: APIRequest, bearerToken: String?, store: inout PostgresStore, limiter: inout RateLimiter
    ) -> (value: HandlerOutcome, commit: Bool) {
        var request = request
        if let bearerToken {
            do {
                guard let user = try UserTokens.user(forToken: bearerToken, on: store.connection) else {
                    return (TransportRejection.invalidToken("unknown or revoked API token").outcome, false)
                }
                request.user = user
            } catch {
                return (TransportRejection.api(.store(error)).outcome, false)
            }
        }
        return (handlers.handle(request, store: &store, limiter: &limiter, now: clock()), true)
    }

    /// The metrics label of a path: the route, with a job's id as `{id}`; anything else is
    /// `other` (label values must not grow with what clients send).
    static func routeLabel(_ path: String) -> String {
        switch path {
        case "/config-upsert", "/job-create", "/node-register", "/node-claim", "/node-heartbeat", "/chunk-complete",
            "/config-fetch", "/rotation-fetch", "/jobs":
            return path
        default:
            return path.hasPrefix("/jobs/") ? "/jobs/{id}" : "other"
        }
    }

    /// Stops the channel's listener and the sessions.
    public func shutdown() async {
        await pool.shutdown()
    }
}

/// Serves through the handlers every request whose path the process does not serve itself.
struct HandlersMiddleware<Context: RequestContext>: RouterMiddleware {
    let server: APIServer
    let passThrough: Set<String>

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        // The channel is a GET upgrade; any other method on its path is the handlers' to refuse.
        if passThrough.contains(path), path != AssignmentChannel.path || request.method == .get {
            return try await next(request, context)
        }
        return await server.respond(to: request)
    }
}
