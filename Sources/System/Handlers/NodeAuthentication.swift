/// How node requests are authenticated.
extension RequestHandlers {
    /// The path a node signs: the URL's pathname only, without the query, exactly as today's
    /// verifier (`_shared/ed25519.ts`) builds its message, so signatures stay wire-compatible in
    /// both directions during a migration (a node of ours talks to today's verifier and a node
    /// signing today's way talks to ours). What is not signed: the query of `config-fetch?hash=`
    /// and `rotation-fetch?id=`. A captured fetch could be re-aimed at another hash within the
    /// window, but its signature is spent on first use (replay protection), and both routes
    /// read rows that any registered node may read anyway, so re-aiming reveals nothing.
    public static func signedPath(path: String, query: [String: String]) -> String {
        path
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
    /// fetches) then get nil. The same holds for an unsigned request inside the migration window
    /// (`acceptUnsignedUntil`, rollout option A): the price of keeping old nodes working.
    ///
    /// How today's handlers learn who calls is the one assumption left: the seeds say today's
    /// nodes send no `X-Node-*` header, yet today's chunk-complete looks the node up by its
    /// public key; the only place left for the key is the body, which is where today's nodes
    /// put it here.
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
        let (key, _, replayed) = try verifyNodeRow(request, store: &store, now: now, registering: registering, identify: identify)
        return (key, replayed)
    }

    /// `verifyNode`, also returning the caller's row as it was looked up to check the key
    /// belongs to a registered node (nil when `registering` or not identified), so that routes
    /// acting as the node need not look it up a second time.
    func verifyNodeRow<S: JobStore>(
        _ request: APIRequest, store: inout S, now: Timestamp, registering: Bool = false, identify: Bool = true
    ) throws(APIError) -> (key: PublicKey?, row: NodeRow?, replayed: Bool) {
        let (key, row, replayed) = try verifyNodeFinding(
            request, store: &store, now: now, registering: registering, identify: identify
        ) { (store, key) throws(StoreError) in try store.node(publicKey: key) }
        return (key, row, replayed)
    }

    /// `verifyNodeRow` for routes that need only the caller's id and the store's handle on it
    /// (the heartbeat): the node is found by `nodeCaller(publicKey:)`, no row copied.
    func verifyNodeCaller<S: JobStore>(
        _ request: APIRequest, store: inout S, now: Timestamp
    ) throws(APIError) -> (key: PublicKey?, caller: NodeCaller?, replayed: Bool) {
        let (key, caller, replayed) = try verifyNodeFinding(
            request, store: &store, now: now, registering: false, identify: true
        ) { (store, key) throws(StoreError) in try store.nodeCaller(publicKey: key) }
        return (key, caller, replayed)
    }

    /// The one authentication of `verifyNodeRow` and `verifyNodeCaller`, which differ only in
    /// what they find of the registered node (`find`: a row, or a caller; nil if none has the
    /// key): every check, its order and its errors are the same.
    @inline(__always)
    private func verifyNodeFinding<S: JobStore, Found>(
        _ request: APIRequest, store: inout S, now: Timestamp, registering: Bool, identify: Bool,
        find: (inout S, PublicKey) throws(StoreError) -> Found?
    ) throws(APIError) -> (key: PublicKey?, found: Found?, replayed: Bool) {
        if profile.has(.unsignedNodes) || servedUnsignedForMigration(request, now: now) {
            guard identify else { return (nil, nil, false) }
            let key: PublicKey
            if let wire = request.wire {  // the typed wire: the body's field as a value
                guard let named = wire.body.publicKey else { throw .missingField("publicKey") }
                key = named
            } else {
                key = try RequestBody(request.body).publicKey("publicKey")
            }
            var row: Found? = nil
            if !registering {
                do { row = try find(&store, key) } catch { throw .store(error) }
                if row == nil { throw .signature(.unknownNode) }
            }
            return (key, row, false)
        }
        let verified: VerifiedRequest
        let remembers = !profile.has(.replayableSignatures) && !registering
        do {
            // Parsed first (the same errors `verify(headers:…)` would throw), so the store can
            // start loading the caller's key slot and the replay cache's lines while the
            // signature is verified.
            let signed = try SignedHeaders(headers: request.headers)
            if !registering { store.prepareToAuthenticate(publicKey: signed.key, signature: remembers ? signed.signature : nil) }
            let path = Self.signedPath(path: request.path, query: request.query)
            if let wire = request.wire {  // the typed wire: the digest both sides compute from the value
                verified = try verifier.verify(
                    signed: signed, method: request.method, path: path, bodyDigest: wire.digest, nowUnixSeconds: now.unixSeconds)
            } else {
                verified = try verifier.verify(
                    signed: signed, method: request.method, path: path, body: request.body, nowUnixSeconds: now.unixSeconds)
            }
        } catch {
            throw .signature(error)
        }
        var row: Found? = nil
        if !registering {
            // Called directly: `read`'s closure captured the store and copied the whole struct.
            do { row = try find(&store, verified.publicKey) } catch { throw .store(error) }
            if row == nil { throw .signature(.unknownNode) }
        }
        // node-register is not remembered: it is idempotent per key (a replay inside the
        // window gets the same node back, as the first request did), and remembering it would
        // let registrations from fresh keys, which need no registered node, fill the cache.
        if remembers {
            // The verifier accepts the request through the whole second `replayExpiry`.
            let (last, overflow) = verified.replayExpiry.multipliedReportingOverflow(by: 1_000_000)
            let expiresAt = overflow ? Timestamp(micros: .max) : Timestamp(micros: last &+ 999_999)
            let fresh: Bool
            do {
                fresh = try store.rememberSignature(verified.signature, expiresAt: expiresAt)
            } catch {
                throw .store(error)
            }
            return (verified.publicKey, row, !fresh)
        }
        return (verified.publicKey, row, false)
    }

    /// `authenticatedNode` for routes that need only the caller's id (and the store's handle
    /// on it): the same checks and errors, no row copied.
    func authenticatedCaller<S: JobStore>(_ request: APIRequest, store: inout S, now: Timestamp) throws(APIError) -> NodeCaller {
        let (key, caller, replayed) = try verifyNodeCaller(request, store: &store, now: now)
        guard !replayed else { throw .signature(.replayed) }
        guard let key else { throw .signature(.unknownNode) }
        if let caller { return caller }
        guard let found = try Self.read({ () throws(StoreError) in try store.nodeCaller(publicKey: key) }) else {
            throw .signature(.unknownNode)
        }
        return found
    }

    /// `authenticateNode` for routes that act as a node: the caller's registered row.
    func authenticatedNode<S: JobStore>(_ request: APIRequest, store: inout S, now: Timestamp) throws(APIError) -> NodeRow {
        let (key, row, replayed) = try verifyNodeRow(request, store: &store, now: now)
        guard !replayed else { throw .signature(.replayed) }
        guard let key else { throw .signature(.unknownNode) }
        // The row as looked up before the signature was remembered (remembering changes no node).
        if let row { return row }
        guard let node = try Self.read({ () throws(StoreError) in try store.node(publicKey: key) }) else { throw .signature(.unknownNode) }
        return node
    }
}
