import ClientRuntime
import HTTPTypes
import HummingbirdWSClient
import Logging
import JobSystem

/// The node's assignment channel over WebSocket (hummingbird-websocket's client): the upgrade
/// request carries the node's signature headers, text messages are handed over as they come,
/// the server's pings are answered by the client (and it pings the server every 30 s so a dead
/// connection is noticed).
public struct WebSocketAssignmentChannel: ChannelTransport {
    public let server: ServerAddress
    let logger: Logger
    /// Largest message read: an assignment is about 300 bytes, the `subscribed` message lists
    /// every chunk the node holds (up to 1,024 slots' worth).
    static let maxMessageBytes = 4 << 20
    static let maxFrameBytes = 1 << 20

    public init(server: ServerAddress, logger: Logger) {
        self.server = server
        self.logger = logger
    }

    public func run(
        _ request: APIRequest, onMessage: @escaping @Sendable (String) async -> Void
    ) async throws {
        var headers = HTTPFields()
        for (name, value) in request.headers.sorted(by: { $0.name < $1.name }) {
            guard let field = HTTPField.Name(name) else { continue }
            headers[field] = value
        }
        let configuration = WebSocketClientConfiguration(
            maxFrameSize: Self.maxFrameBytes, additionalHeaders: headers, autoPing: .enabled(timePeriod: .seconds(30)))
        _ = try await WebSocketClient.connect(
            url: server.webSocketURL(path: request.path, query: request.query), configuration: configuration, logger: logger
        ) { inbound, _, _ in
            for try await message in inbound.messages(maxSize: Self.maxMessageBytes) {
                if case .text(let text) = message { await onMessage(text) }
            }
        }
    }
}
