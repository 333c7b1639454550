import JobSystem

/// How a client's requests reach the server: one `APIRequest` out, its `APIResponse` (a status
/// and a body, nothing typed) back. Production speaks HTTP (`ClientHTTP`); tests use a fake.
///
/// A request that got no answer (connection refused or reset, timeout, an unreadable reply)
/// throws: the runners then tell their state machine the request was lost, exactly as its own
/// request timeout would, and never invent a status the server did not send.
public protocol APITransport: Sendable {
    func send(_ request: APIRequest) async throws -> APIResponse
}

/// The node's assignment channel (`JobSystem.AssignmentChannel`): a long-lived connection on
/// which the server pushes `AssignmentChannelMessage`s as JSON text (today's Supabase Realtime
/// subscription).
public protocol ChannelTransport: Sendable {
    /// Opens the channel with `request` (the signed upgrade request) and hands over every text
    /// message until the server or the network closes it; then returns. Throws when the channel
    /// could not be opened (refused upgrade, unreachable server).
    func run(_ request: APIRequest, onMessage: @escaping @Sendable (String) async -> Void) async throws
}
