/// Why a request was rejected: one case per reason, each with its HTTP status and a message
/// a user or node operator can act on. Errors of the layers below are wrapped, not flattened,
/// so the exact cause stays matchable.
public enum APIError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No route with this path.
    case routeNotFound(String)
    /// The route exists but not for this method.
    case methodNotAllowed(method: String, path: String)
    /// A portal route called without an authenticated user.
    case unauthenticated
    /// Node authentication failed (signature, window, replay, unknown key, unsigned).
    case signature(SignatureError)
    /// node-register signed by one key registering another.
    case keyMismatch
    /// The body is not JSON.
    case invalidJSON(JSONError)
    /// The body is JSON but not an object.
    case bodyNotObject
    case missingField(String)
    /// A field of the wrong type or with an unusable value (`expected` says what is accepted).
    case invalidField(field: String, expected: String)
    /// A required query parameter is missing or malformed.
    case invalidQuery(parameter: String, expected: String)
    /// The config's canonical JSON exceeds the profile's limit.
    case configTooLarge(bytes: Int, limit: Int)
    /// The body exceeds the route's limit (`RequestLimits.maxBodyBytes`); nothing was parsed.
    case bodyTooLarge(bytes: Int, limit: Int)
    /// The path and query, or the headers, exceed their limit (`part` says which).
    case requestTooLarge(part: String, bytes: Int, limit: Int)
    /// The config does not parse as a `SimConfig`.
    case invalidConfig(ConfigError)
    /// The config references a rotation that does not exist.
    case unknownRotation(String)
    /// The config's fights cost more than `RequestLimits.maxCastsPerFight` casts each.
    case iterationTooCostly(casts: Int, limit: Int)
    /// Iterations × casts per fight above `RequestLimits.maxCastsPerJob`.
    case jobTooCostly(casts: Int, limit: Int)
    /// Iterations outside `1...limit`.
    case invalidIterations(Int, limit: Int)
    /// `accessType: discord` without a `discordServerId`.
    case discordServerRequired
    /// A chunk result that does not decode as a tally.
    case invalidResult(ResultDecodingError)
    /// A chunk result that decodes but does not fit the chunk (iteration count, fight length,
    /// non-finite or disordered statistics).
    case resultMismatch(String)
    /// The node does not hold the chunk's latest claim; its result was not stored.
    case staleClaim(ChunkID)
    /// The chunk was completed by another claim; this result was not stored.
    case chunkAlreadyCompleted(ChunkID)
    /// Today's chunk-complete guard: the chunk is not running on the reporting node (403).
    case chunkNotHeld(ChunkID)
    /// A job that does not exist or that the caller may not see (404 either way, so that
    /// existence does not leak).
    case jobNotFound(String)
    /// A rate or count limit (`what` names it); try again after `retryAfterSeconds`.
    case rateLimited(what: String, retryAfterSeconds: Int)
    /// A store failure (not found, conflicts, lost connection…).
    case store(StoreError)

    public var httpStatus: Int {
        switch self {
        case .routeNotFound, .jobNotFound: return 404
        case .methodNotAllowed: return 405
        case .unauthenticated, .signature, .keyMismatch: return 401
        case .invalidJSON, .bodyNotObject, .missingField, .invalidField, .invalidQuery, .invalidConfig,
            .invalidIterations, .discordServerRequired, .invalidResult, .resultMismatch:
            return 400
        case .configTooLarge, .bodyTooLarge: return 413
        case .requestTooLarge(let part, _, _): return part == "headers" ? 431 : 414
        case .unknownRotation, .iterationTooCostly, .jobTooCostly: return 422
        case .staleClaim, .chunkAlreadyCompleted: return 409
        case .chunkNotHeld: return 403
        case .rateLimited: return 429
        case .store(let error):
            switch error {
            case .connectionLost, .conflict: return 503
            case .uniqueViolation, .claimCodeAmbiguous, .nodeAlreadyClaimed: return 409
            case .configNotFound, .rotationNotFound, .jobNotFound, .chunkNotFound, .nodeNotFound,
                .claimCodeNotFound:
                return 404
            case .nodeNotClaimed: return 403
            case .illegalTransition, .database: return 500
            }
        }
    }

    /// A stable machine-readable code for the body's `error` field.
    public var code: String {
        switch self {
        case .routeNotFound: return "route_not_found"
        case .methodNotAllowed: return "method_not_allowed"
        case .unauthenticated: return "unauthenticated"
        // Two signature failures have their own code, because a node must act on them: an
        // unknown key registers again; a replayed request is retried (re-signed), since over
        // the wire it may be the network's duplicate of an attempt that never took effect.
        case .signature(.unknownNode): return "unknown_node"
        case .signature(.replayed): return "replayed_request"
        case .signature: return "bad_node_authentication"
        case .keyMismatch: return "key_mismatch"
        case .invalidJSON: return "invalid_json"
        case .bodyNotObject: return "body_not_object"
        case .missingField: return "missing_field"
        case .invalidField: return "invalid_field"
        case .invalidQuery: return "invalid_query"
        case .configTooLarge: return "config_too_large"
        case .bodyTooLarge: return "body_too_large"
        case .requestTooLarge(let part, _, _): return part == "headers" ? "headers_too_large" : "uri_too_long"
        case .invalidConfig: return "invalid_config"
        case .unknownRotation: return "unknown_rotation"
        case .invalidIterations: return "invalid_iterations"
        case .iterationTooCostly: return "iteration_too_costly"
        case .jobTooCostly: return "job_too_costly"
        case .discordServerRequired: return "discord_server_required"
        case .invalidResult: return "invalid_result"
        case .resultMismatch: return "result_mismatch"
        case .staleClaim: return "stale_claim"
        case .chunkAlreadyCompleted: return "chunk_already_completed"
        case .chunkNotHeld: return "chunk_not_held"
        case .jobNotFound: return "job_not_found"
        case .rateLimited: return "rate_limited"
        case .store(let error): return error.apiCode
        }
    }

    public var description: String {
        switch self {
        case .routeNotFound(let path): return "no route \(path)"
        case .methodNotAllowed(let method, let path): return "\(method) is not allowed on \(path)"
        case .unauthenticated: return "sign in first: this route needs an authenticated user"
        case .signature(let error): return "node authentication failed: \(error)"
        case .keyMismatch: return "node-register must be signed by the key it registers"
        case .invalidJSON(let error): return "request body: \(error)"
        case .bodyNotObject: return "request body must be a JSON object"
        case .missingField(let field): return "missing field '\(field)'"
        case .invalidField(let field, let expected): return "field '\(field)' must be \(expected)"
        case .invalidQuery(let parameter, let expected): return "query parameter '\(parameter)' must be \(expected)"
        case .configTooLarge(let bytes, let limit): return "config is \(bytes) bytes, at most \(limit) allowed"
        case .bodyTooLarge(let bytes, let limit): return "request body is \(bytes) bytes, at most \(limit) allowed on this route"
        case .requestTooLarge(let part, let bytes, let limit): return "request \(part) is \(bytes) bytes, at most \(limit) allowed"
        case .invalidConfig(let error): return "invalid config: \(error)"
        case .unknownRotation(let id): return "config references rotation '\(id)', which does not exist"
        case .invalidIterations(let n, let limit): return "iterations must be between 1 and \(limit), got \(n)"
        case .iterationTooCostly(let casts, let limit):
            return "one fight of this config may take \(casts) casts, at most \(limit) allowed (maxCastsPerFight): shorten the fight or lengthen cooldowns"
        case .jobTooCostly(let casts, let limit):
            return "this job may take \(casts) casts (iterations × casts per fight), at most \(limit) allowed (maxCastsPerJob): ask for fewer iterations"
        case .discordServerRequired: return "accessType 'discord' needs a discordServerId"
        case .invalidResult(let error): return "invalid chunk result: \(error)"
        case .resultMismatch(let why): return "chunk result does not fit the chunk: \(why)"
        case .staleClaim(let id): return "chunk \(id) is no longer assigned to this node under that attempt; result discarded"
        case .chunkAlreadyCompleted(let id): return "chunk \(id) was already completed by another claim"
        case .chunkNotHeld(let id): return "chunk \(id) is not running on this node; result discarded"
        case .jobNotFound(let id): return "no job \(id)"
        case .rateLimited(let what, let seconds): return "too many requests: \(what); retry in \(seconds) s"
        case .store(let error): return error.description
        }
    }
}

extension StoreError {
    /// The code a store failure answers with. Each refusal a client may act on has its own
    /// (`node_not_claimed`: the node waits for its owner; `config_not_found`: the portal's
    /// two-call submission upserts again); every failure of the store itself (lost connection,
    /// conflicting transactions, a database error: nothing committed, 5xx) is `store_error`,
    /// which clients retry.
    public var apiCode: String {
        switch self {
        case .connectionLost, .conflict, .database, .illegalTransition: return "store_error"
        case .uniqueViolation: return "unique_violation"
        case .configNotFound: return "config_not_found"
        case .rotationNotFound: return "rotation_not_found"
        case .jobNotFound: return "job_not_found"
        case .chunkNotFound: return "chunk_not_found"
        case .nodeNotFound: return "node_not_found"
        case .claimCodeNotFound: return "claim_code_not_found"
        case .claimCodeAmbiguous: return "claim_code_ambiguous"
        case .nodeAlreadyClaimed: return "node_already_claimed"
        case .nodeNotClaimed: return "node_not_claimed"
        }
    }
}
