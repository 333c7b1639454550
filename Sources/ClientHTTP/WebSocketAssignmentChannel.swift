import ClientRuntime
import HTTPTypes
import HummingbirdWSClient
import Logging
import System

/// The node's assignment channel over WebSocket (hummingbird-websocket's client): the upgrade
/// request carries the node's signature headers, text messages are handed over as they come,
/// the server's pings are answered by the client (and it pings the server every 30 s so a dead
/// connection is noticed).
public struct WebSocketAssignmentChannel: AssignmentChannel {
    public let server: ServerAddress
    let logger: Logger
    /// Largest message read (an assignment is a few hundred bytes).
    static let maxMessageBytes = 64 * 1024

    public init(server: ServerAddress, logger: Logger) {
        self.server = server
        self.logger = logger
    }

    public func run(
        _ request: APIRequest, onOpen: @escaping @Sendable () async -> Void, onMessage: @escaping @Sendable (String) async -> Void
    ) async throws {
        var headers = HTTPFields()
        for name in request.headers.keys.sorted() {
            guard let field = HTTPField.Name(name) else { continue }
            headers[field] = request.headers[name]
        }
        let configuration = WebSocketClientConfiguration(
            maxFrameSize: Self.maxMessageBytes, additionalHeaders: headers, autoPing: .enabled(timePeriod: .seconds(30)))
        _ = try await WebSocketClient.connect(
            url: server.webSocketURL(path: request.path), configuration: configuration, logger: logger
        ) { inbound, _, _ in
            await onOpen()
            for try await message in inbound.messages(maxSize: Self.maxMessageBytes) {
                if case .text(let text) = message { await onMessage(text) }
            }
        }
    }
}
