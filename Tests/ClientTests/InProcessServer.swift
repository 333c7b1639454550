import ClientRuntime
import JobSystem

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
        return handlers.handle(request, store: &store, limiter: &limiter, now: store.now).response
    }

    /// Opens a node's assignment channel as the HTTP API does.
    func openChannel(_ request: APIRequest) -> ChannelOpening {
        store.now = SystemClock().now()
        return handlers.openAssignmentChannel(request, store: &store, now: store.now)
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
        let plan = store.chunks(ofJob: job).filter { $0.status == .pending }.map { PlannedAssignment(chunkID: $0.id, nodeID: node) }
        return try store.applyAssignments(plan, guarded: true)
    }

    func job(_ id: JobID) throws -> JobRow? { store.job(id) }
    func node(_ id: NodeID) throws -> NodeRow? { store.node(id) }
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

/// An assignment channel opened through the real handlers (`openAssignmentChannel`), whose
/// later pushes the test sends. One connection at a time, as the node keeps.
final class PushChannel: ChannelTransport {
    let server: InProcessServer
    let stream: AsyncStream<String>
    let continuation: AsyncStream<String>.Continuation

    init(server: InProcessServer) {
        self.server = server
        (stream, continuation) = AsyncStream.makeStream(of: String.self)
    }

    struct Refused: Error { let status: Int }

    func push(_ text: String) { continuation.yield(text) }

    func run(_ request: APIRequest, onMessage: @escaping @Sendable (String) async -> Void) async throws {
        switch await server.openChannel(request) {
        case .refused(let outcome): throw Refused(status: outcome.status)
        case .opened(let first):
            await onMessage(String(decoding: first.bytes, as: UTF8.self))
            for await text in stream { await onMessage(text) }
        }
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

/// A channel whose every connection closes right after its first message (a flaky network).
struct DroppingChannel: ChannelTransport {
    let server: InProcessServer

    func run(_ request: APIRequest, onMessage: @escaping @Sendable (String) async -> Void) async throws {
        if case .opened(let first) = await server.openChannel(request) {
            await onMessage(String(decoding: first.bytes, as: UTF8.self))
        }
    }
}
