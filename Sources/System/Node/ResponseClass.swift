/// What a client should do with an answer: the one place where HTTP statuses and the handlers'
/// typed errors turn into "done", "try again" or "give up", shared by the node and the portal
/// user so both read the server the same way.
public enum ResponseClass: Sendable, Equatable {
    /// 2xx, with the body parsed (nil if it is not JSON).
    case success(JSONValue?)
    /// Worth retrying: the server or the path to it failed, or the attempt collided with itself.
    case transient(String)
    /// The server understood and refused; retrying the same request cannot change the answer.
    case definitive(String)
    /// The caller's key is not (or no longer) a registered node: register again.
    case unknownNode

    /// Classifies by the typed error when the transport kept it (the simulation, in-process
    /// servers), else by the status alone.
    ///
    /// Transient: 408, 429, every 5xx, and a `replayed` signature. The last one is the node's own
    /// retry: Ed25519 is deterministic, so re-sending the same body within the same second
    /// produces the very same signature, which the replay guard refuses; one second later the
    /// retry is a new message. An untyped 401 is definitive: over the wire "replayed" cannot be
    /// told from "bad signature", and a node that cannot sign must not hammer the server.
    public init(_ response: APIResponse) {
        if (200..<300).contains(response.status) {
            self = .success(response.json)
            return
        }
        let reason = Self.reason(response)
        switch response.error {
        case .signature(.unknownNode)?:
            self = .unknownNode
            return
        case .signature(.replayed)?:
            self = .transient(reason)
            return
        default:
            break
        }
        switch response.status {
        case 408, 429, 500...599: self = .transient(reason)
        default: self = .definitive(reason)
        }
    }

    /// `status code: message`, from the typed error or the body's `{error, message}`.
    static func reason(_ response: APIResponse) -> String {
        if let error = response.error { return "\(response.status) \(error.code): \(error.description)" }
        let body = response.json
        let code = body?["error"]?.stringValue ?? "error"
        let message = body?["message"]?.stringValue ?? ""
        return "\(response.status) \(code): \(message)"
    }
}
