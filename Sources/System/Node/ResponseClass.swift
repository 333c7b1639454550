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

    /// Classifies by what crosses HTTP, the status and the body's `error` code, never by the
    /// typed error an in-process transport could keep: the simulation's nodes read the server
    /// exactly as real ones do.
    ///
    /// Transient: 408, 429, every 5xx, and `replayed_request` (401): the network's duplicate of
    /// one of the node's own requests, whose original may have failed; the node's retry is
    /// re-signed with a later timestamp, so it is a new message. `unknown_node` (401): register
    /// again. Every other 4xx is definitive, other 401s included (a node that cannot sign must
    /// not hammer the server).
    public init(_ response: APIResponse) {
        if (200..<300).contains(response.status) {
            self = .success(response.json)
            return
        }
        // The refusal's body parsed once for its code and its reason (each parsed it).
        let body = response.json
        let reason = Self.reason(status: response.status, body)
        switch body?["error"]?.stringValue {
        case "unknown_node"?:
            self = .unknownNode
            return
        case "replayed_request"?:
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

    /// `status code: message`, from the body's `{error, message}`.
    static func reason(_ response: APIResponse) -> String { reason(status: response.status, response.json) }

    /// `reason` of an answer whose body is already parsed.
    static func reason(status: Int, _ body: JSONValue?) -> String {
        let code = body?["error"]?.stringValue ?? "error"
        let message = body?["message"]?.stringValue ?? ""
        return "\(status) \(code): \(message)"
    }
}
