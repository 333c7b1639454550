/// The node assignment channel's opening request (production: the WebSocket upgrade,
/// `GET /node-assignments`), authenticated exactly as every node route is: the `X-Node-*`
/// signature over `"{ts}\0GET\0{path}\0{sha256 of the empty body}"`, the key of a registered
/// node, the signature spent in the store (a captured upgrade cannot be replayed). Kept next
/// to the handlers so that the channel cannot drift from the routes' rules.
extension RequestHandlers {
    public enum ChannelAdmission: Sendable, Equatable {
        /// The node whose assignments the channel carries.
        case admitted(NodeRow)
        /// Why not, as the status and body any route would answer.
        case rejected(APIResponse)
    }

    /// Checks the opening request's sizes, method and signature (see the type's comment).
    public func admitChannel<S: JobStore>(_ request: APIRequest, store: inout S, now: Timestamp) -> ChannelAdmission {
        do throws(APIError) {
            try checkSizes(request)
            let method = String(decoding: request.method.utf8.map { (0x61...0x7A).contains($0) ? $0 - 0x20 : $0 }, as: UTF8.self)
            guard method == "GET" else { throw .methodNotAllowed(method: method, path: request.path) }
            return .admitted(try authenticatedNode(request, store: &store, now: now))
        } catch {
            return .rejected(.rejected(error))
        }
    }
}
