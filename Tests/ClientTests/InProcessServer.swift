import ClientRuntime
import System

/// The real request handlers over the embedded store, behind the clients' transport protocol:
/// the node and portal runners talk to the same server code as in production, without a
/// socket. The store's clock is the host clock, as PostgreSQL's `now()` would be.
actor InProcessServer {
    var store = EmbeddedStore(seed: 11)
    let handlers = RequestHandlers(profile: .fixed, hasher: SodiumSHA256(), scheme: Ed25519())
    var limiter = RateLimiter()
    /// Requests to fail (no answer at all) before answering again.
    var failuresToInject = 0
    var failuresInjected = 0
    var requestsServed: [String] = []

    func handle(_ request: APIRequest) -> APIResponse {
        store.now = SystemClock().now()
        requestsServed.append(request.path)
        return handlers.handle(request, store: &store, limiter: &limiter, now: store.now)
    }

    /// Whether the next request gets no answer.
    func takeFailure() -> Bool {
        guard failuresToInject > 0 else { return false }
        failuresToInject -= 1
        failuresInjected += 1
        return true
    }

    func injectFailures(_ count: Int) { failuresToInject = count }

    func addUser(_ id: UserID) throws {
        try store.upsertUser(UserRow(id: id, discordID: nil))
    }

    /// Assigns every pending chunk of `job` to `node` (what a scheduler pass would do).
    func assignAll(of job: JobID, to node: NodeID) throws -> [ChunkAssignment] {
        store.now = SystemClock().now()
        let plan = try store.chunks(ofJob: job).filter { $0.status == .pending }.map { PlannedAssignment(chunkID: $0.id, nodeID: node) }
        return try store.applyAssignments(plan, guarded: true)
    }

    func job(_ id: JobID) throws -> JobRow? { try store.job(id) }
    func node(_ id: NodeID) throws -> NodeRow? { try store.node(id) }
}

/// The transport to an `InProcessServer`. As the HTTP transport authenticates the portal's user
/// by token, this one stamps `user` on every request.
struct InProcessTransport: APITransport {
    let server: InProcessServer
    var user: UserID?

    struct NoAnswer: Error {}

    func send(_ request: APIRequest) async throws -> APIResponse {
        if await server.takeFailure() { throw NoAnswer() }
        var request = request
        request.user = user
        return await server.handle(request)
    }
}

/// An assignment channel the test pushes messages into.
final class PushChannel: AssignmentChannel {
    let stream: AsyncStream<String>
    let continuation: AsyncStream<String>.Continuation

    init() {
        (stream, continuation) = AsyncStream.makeStream(of: String.self)
    }

    func push(_ text: String) { continuation.yield(text) }

    func run(
        _ request: APIRequest, onOpen: @escaping @Sendable () async -> Void, onMessage: @escaping @Sendable (String) async -> Void
    ) async throws {
        await onOpen()
        for await text in stream { await onMessage(text) }
    }
}

/// Polls `condition` every 10 ms until it holds or `seconds` pass; returns whether it held.
func eventually(seconds: Double = 20, _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = SystemClock().now() + Interval(micros: Int64(seconds * 1e6))
    while SystemClock().now() < deadline {
        if try await condition() { return true }
        try? await Task.sleep(nanoseconds: 10_000_000)
    }
    return try await condition()
}
