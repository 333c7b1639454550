/// An HTTP request as the handlers see it, whatever carried it (the simulated network or a
/// real server): the edge functions' inputs, with the portal's authentication already done.
public struct APIRequest: Sendable, Equatable {
    /// `GET` or `POST` (compared ASCII-case-insensitively, as it is signed).
    public var method: String
    /// The route, without query string: `/node-heartbeat`, `/jobs/<uuid>`.
    public var path: String
    public var query: [String: String]
    /// The header fields (`APIHeaders`: names case-insensitive, in the order sent).
    public var headers: APIHeaders
    public var body: [UInt8]
    /// The portal's authenticated user (the JWT's subject); nil for nodes and anonymous readers.
    public var user: UserID?
    /// The body as a value, on the simulation's typed wire only (`TypedWire.swift`; `body` is
    /// then empty). Nil on the real wire and in production.
    public var wire: WireRequest? = nil

    public init(
        method: String, path: String, query: [String: String] = [:], headers: APIHeaders = APIHeaders(),
        body: [UInt8] = [], user: UserID? = nil
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.user = user
    }
}

/// What crosses the wire back to the client, and nothing more: an HTTP status, the few
/// headers HTTP carries for it (`Retry-After`) and a JSON body. Rejections say why in the body,
/// `{"error": code, "message": text}` with a stable `code` (`APIError.code`): clients (the node,
/// the portal) act on the status and that code only (`ResponseClass`), exactly as they must over
/// real HTTP. The typed `APIError` stays on the server's side, in `HandlerOutcome`.
public struct APIResponse: Sendable, Equatable {
    public var status: Int
    /// Response headers, by their canonical HTTP name (`Retry-After`). Empty for most answers.
    public var headers: APIHeaders
    /// JSON (canonical serialization).
    public var body: [UInt8]
    /// The body as a value, on the simulation's typed wire only (`TypedWire.swift`; `body` is
    /// then empty). Nil on the real wire and in production.
    public var wire: WireResponseBody? = nil

    public init(status: Int, headers: APIHeaders = APIHeaders(), body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The body parsed back (nil if it is not JSON, which handlers never produce).
    public var json: JSONValue? {
        if let wire { return wire.json }
        return try? JSONValue.parse(body)
    }

    /// The body's `error` code of a rejection (nil for a success or a body without one).
    public var errorCode: String? {
        guard !(200..<300).contains(status) else { return nil }
        if let wire { return wire.errorCode }
        return json?["error"]?.stringValue
    }

    static func ok(_ json: JSONValue) -> APIResponse {
        APIResponse(status: 200, body: json.canonicalBytes)
    }

    /// A raw JSON document already in canonical form (stored configs and rotations).
    static func ok(canonicalJSON: String) -> APIResponse {
        APIResponse(status: 200, body: Array(canonicalJSON.utf8))
    }

    /// The rejection's wire form: its status, `{error, message}` and, for a rate limit, the
    /// retry hint both as `Retry-After` and in the body (`retryAfterSeconds`).
    public static func rejection(_ error: APIError) -> APIResponse {
        var fields: [String: JSONValue] = ["error": .string(error.code), "message": .string(error.description)]
        var headers: APIHeaders = [:]
        if case .rateLimited(_, let seconds) = error {
            fields["retryAfterSeconds"] = .number(Double(seconds))
            headers["Retry-After"] = String(seconds)
        }
        return APIResponse(status: error.httpStatus, headers: headers, body: JSONValue.object(fields).canonicalBytes)
    }
}

/// A handler's result on the server's side: the response that goes on the wire, and for a
/// rejection the typed error it came from, for the server's logs and metrics (the simulation's
/// observer counts rejections by it). Only `response` may leave the server.
public struct HandlerOutcome: Sendable, Equatable {
    // `let`, not `var`: with `var` stored properties, Swift 6.3's explicit initialiser builds
    // `self` in a stack variable and returns a copy of it (an outlined copy, then a destroy of
    // the original: a retain and a release of every reference in it), on every request.
    public let response: APIResponse
    public let error: APIError?

    public init(response: APIResponse, error: APIError? = nil) {
        self.response = response
        self.error = error
    }

    public var status: Int { response.status }
    public var body: [UInt8] { response.body }
    public var json: JSONValue? { response.json }

    static func ok(_ response: APIResponse) -> HandlerOutcome { HandlerOutcome(response: response) }

    public static func rejected(_ error: APIError) -> HandlerOutcome {
        HandlerOutcome(response: .rejection(error), error: error)
    }
}
