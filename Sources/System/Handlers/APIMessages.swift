/// An HTTP request as the handlers see it, whatever carried it (the simulated network or a
/// real server): the edge functions' inputs, with the portal's authentication already done.
public struct APIRequest: Sendable, Equatable {
    /// `GET` or `POST` (compared ASCII-case-insensitively, as it is signed).
    public var method: String
    /// The route, without query string: `/node-heartbeat`, `/jobs/<uuid>`.
    public var path: String
    public var query: [String: String]
    public var headers: [String: String]
    public var body: [UInt8]
    /// The portal's authenticated user (the JWT's subject); nil for nodes and anonymous readers.
    public var user: UserID?

    public init(
        method: String, path: String, query: [String: String] = [:], headers: [String: String] = [:],
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

/// A handler's answer: an HTTP status and a JSON body. Rejections also carry the typed error,
/// so the harness and tests can match the exact reason without parsing the body.
public struct APIResponse: Sendable, Equatable {
    public var status: Int
    /// JSON (canonical serialization). For rejections: `{"error": code, "message": text}`.
    public var body: [UInt8]
    public var error: APIError?

    public init(status: Int, body: [UInt8], error: APIError?) {
        self.status = status
        self.body = body
        self.error = error
    }

    /// The body parsed back (nil if it is not JSON, which handlers never produce).
    public var json: JSONValue? { try? JSONValue.parse(body) }

    static func ok(_ json: JSONValue) -> APIResponse {
        APIResponse(status: 200, body: json.canonicalBytes, error: nil)
    }

    /// A raw JSON document already in canonical form (stored configs and rotations).
    static func ok(canonicalJSON: String) -> APIResponse {
        APIResponse(status: 200, body: Array(canonicalJSON.utf8), error: nil)
    }

    static func rejected(_ error: APIError) -> APIResponse {
        var body: JSONValue = ["error": .string(error.code), "message": .string(error.description)]
        if case .rateLimited(_, let seconds) = error, case .object(var fields) = body {
            // The retry hint (a server also sends it as `Retry-After`).
            fields["retryAfterSeconds"] = .number(Double(seconds))
            body = .object(fields)
        }
        return APIResponse(status: error.httpStatus, body: body.canonicalBytes, error: error)
    }
}
