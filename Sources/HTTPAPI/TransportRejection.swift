import JobSystem

/// Rejections that the HTTP layer makes itself, before or around the handlers: same shape as
/// the handlers' (`{"error": code, "message": text}`, canonical JSON), with codes of their own
/// for what only a real server meets. Listed in the README's "Deploying" section.
enum TransportRejection: Error, Sendable {
    /// A handler error raised by the transport: a body over the route's limit is refused before
    /// reading past it, with the code the handler would give.
    case api(APIError)
    /// `Authorization` present but not `Bearer <token>` of a live token.
    case invalidToken(String)
    /// The same query parameter twice: which one a handler would read is ambiguous.
    case duplicateQuery(String)
    /// The request could not be read (its body ended early or broke off).
    case unreadable(String)
    /// The node channel asked for without `Upgrade: websocket`.
    case upgradeRequired(String)
    /// Every attempt of the request's transaction hit a serialization failure or deadlock.
    case conflict(attempts: Int)
    /// No database session could be had, or it dropped twice during the request.
    case storeUnavailable(String)
    /// A database failure that is not the request's fault.
    case internalError(String)

    var status: Int {
        switch self {
        case .api(let error): return error.httpStatus
        case .invalidToken: return 401
        case .duplicateQuery, .unreadable: return 400
        case .upgradeRequired: return 426
        case .conflict, .storeUnavailable: return 503
        case .internalError: return 500
        }
    }

    var code: String {
        switch self {
        case .api(let error): return error.code
        case .invalidToken: return "invalid_token"
        case .duplicateQuery: return "invalid_query"
        case .unreadable: return "unreadable_request"
        case .upgradeRequired: return "upgrade_required"
        case .conflict: return "transaction_conflict"
        case .storeUnavailable: return "store_unavailable"
        case .internalError: return "internal_error"
        }
    }

    var message: String {
        switch self {
        case .api(let error): return error.description
        case .invalidToken(let why): return why
        case .duplicateQuery(let name): return "query parameter '\(name)' is given more than once"
        case .unreadable(let why): return "the request could not be read: \(why)"
        case .upgradeRequired(let path): return "\(path) is a WebSocket: send Upgrade: websocket"
        case .conflict(let attempts):
            return "the request conflicted with concurrent requests \(attempts) times and was not applied; retry"
        case .storeUnavailable(let why): return "the database is unavailable (\(why)); retry"
        case .internalError(let why): return "internal error: \(why)"
        }
    }

    /// Seconds a client should wait before retrying (`Retry-After`), for the retryable ones.
    var retryAfterSeconds: Int? {
        switch self {
        case .conflict, .storeUnavailable: return 1
        default: return nil
        }
    }

    var outcome: HandlerOutcome {
        if case .api(let error) = self { return .rejected(error) }
        return HandlerOutcome(response: response)
    }

    var response: APIResponse {
        if case .api(let error) = self { return .rejection(error) }
        var fields: [String: JSONValue] = ["error": .string(code), "message": .string(message)]
        var headers: APIHeaders = [:]
        if let seconds = retryAfterSeconds {
            fields["retryAfterSeconds"] = .number(Double(seconds))
            headers["Retry-After"] = String(seconds)
        }
        return APIResponse(status: status, headers: headers, body: JSONValue.object(fields).canonicalBytes)
    }
}
