/// How node requests are authenticated.
extension RequestHandlers {
    /// The path a node signs: the route, then, if there is a query, `?` and its parameters
    /// sorted by name as `name=value` joined by `&` (no percent-encoding: values are hashes and
    /// ids). Signing the query keeps a signed `config-fetch?hash=…` from being re-aimed.
    public static func signedPath(path: String, query: [String: String]) -> String {
        guard !query.isEmpty else { return path }
        let pairs = query.keys.sorted().map { "\($0)=\(query[$0]!)" }
        return path + "?" + pairs.joined(separator: "&")
    }

    /// Authenticates a node request and returns the caller's public key.
    ///
    /// Fixed profile: the `X-Node-*` headers are verified (`RequestVerifier`, window =
    /// `profile.signatureWindow`; no headers at all is `.unsigned`); then, except when
    /// `registering`, the key must belong to a registered node (`.unknownNode`); then, unless
    /// `.replayableSignatures` or `registering`, the signature is remembered in the store until
    /// the last instant its timestamp passes the window check, and a signature seen before is
    /// `.replayed`.
    ///
    /// With `.unsignedNodes` (today: nodes send no headers, the verifier is dead code) nothing is
    /// verified: the caller is whoever the body's `publicKey` field names, so anyone can act as
    /// any node. That is the defect. Routes that need no identity (`identify: false`, the
    /// fetches) then get nil.
    func authenticateNode<S: JobStore>(
        _ request: APIRequest, store: inout S, now: Timestamp, registering: Bool = false, identify: Bool = true
    ) throws(APIError) -> PublicKey? {
        let (key, replayed) = try verifyNode(request, store: &store, now: now, registering: registering, identify: identify)
        guard !replayed else { throw .signature(.replayed) }
        return key
    }

    /// `authenticateNode`, except that a replayed signature is reported rather than refused,
    /// for a route that answers a replay of an already-applied request with its outcome.
    func verifyNode<S: JobStore>(
        _ request: APIRequest, store: inout S, now: Timestamp, registering: Bool = false, identify: Bool = true
    ) throws(APIError) -> (key: PublicKey?, replayed: Bool) {
        if profile.has(.unsignedNodes) {
            guard identify else { return (nil, false) }
            let key = try RequestBody(request.body).publicKey("publicKey")
            if !registering, try Self.read({ () throws(StoreError) in try store.node(publicKey: key) }) == nil { throw .signature(.unknownNode) }
            return (key, false)
        }
        let verified: VerifiedRequest
        do {
            verified = try verifier.verify(
                headers: request.headers, method: request.method,
                path: Self.signedPath(path: request.path, query: request.query), body: request.body,
                nowUnixSeconds: now.unixSeconds)
        } catch {
            throw .signature(error)
        }
        if !registering, try Self.read({ () throws(StoreError) in try store.node(publicKey: verified.publicKey) }) == nil { throw .signature(.unknownNode) }
        // node-register is not remembered: it is idempotent per key (a replay inside the
        // window gets the same node back, as the first request did), and remembering it would
        // let registrations from fresh keys, which need no registered node, fill the cache.
        if !profile.has(.replayableSignatures), !registering {
            // The verifier accepts the request through the whole second `replayExpiry`.
            let (last, overflow) = verified.replayExpiry.multipliedReportingOverflow(by: 1_000_000)
            let expiresAt = overflow ? Timestamp(micros: .max) : Timestamp(micros: last &+ 999_999)
            let fresh: Bool
            do {
                fresh = try store.rememberSignature(verified.signature, expiresAt: expiresAt)
            } catch {
                throw .store(error)
            }
            return (verified.publicKey, !fresh)
        }
        return (verified.publicKey, false)
    }

    /// `authenticateNode` for routes that act as a node: the caller's registered row.
    func authenticatedNode<S: JobStore>(_ request: APIRequest, store: inout S, now: Timestamp) throws(APIError) -> NodeRow {
        guard let key = try authenticateNode(request, store: &store, now: now),
            let node = try Self.read({ () throws(StoreError) in try store.node(publicKey: key) })
        else { throw .signature(.unknownNode) }
        return node
    }
}
