/// `POST /node-register` (node) → `{id, claimCode, claimed}`.
extension RequestHandlers {
    /// `{publicKey, name, totalCores, maxParallel, platform, version}`, signed by the key it
    /// registers (a request signed by another key is `.keyMismatch`; with `.unsignedNodes`,
    /// unsigned). Idempotent per key: a known key gets its existing node back unchanged.
    ///
    /// Limits: name 1–64 bytes of UTF-8; totalCores and maxParallel 1–1024; platform one of
    /// `windows`, `linux`, `macos`; version 1–32 bytes of UTF-8. The body is at most
    /// `limits.maxBodyBytes` (checked before the signature).
    ///
    /// Registrations of keys not yet registered draw on one rate for all callers
    /// (`limits.nodeRegistrations`, 429 `rate_limited` with a retry hint): what bounds the nodes
    /// table against fresh keys. A known key re-registering is not limited.
    func nodeRegister<S: JobStore>(
        _ request: APIRequest, store: inout S, limiter: inout RateLimiter, now: Timestamp
    ) throws(APIError) -> APIResponse {
        let caller = try authenticateNode(request, store: &store, now: now, registering: true)
        // The body `NodeRequestBody.register` writes is read without the tree parser, into the
        // same fields; any other body is parsed. The checks below are the same for both.
        let body: RequestBody
        if let fields = NodeRequestBody.readRegisterFields(request.body) {
            body = RequestBody(fields: fields)
        } else {
            body = try RequestBody(request.body)
        }
        let key = try body.publicKey("publicKey")
        guard caller == key else { throw .keyMismatch }
        let name = try body.string("name", length: 1...64)
        let totalCores = try body.int("totalCores", in: 1...1_024)
        let maxParallel = try body.int("maxParallel", in: 1...1_024)
        let platform = try body.string("platform")
        guard ["windows", "linux", "macos"].contains(platform) else {
            throw .invalidField(field: "platform", expected: "one of windows, linux, macos")
        }
        let version = try body.string("version", length: 1...32)
        if try Self.read({ () throws(StoreError) in try store.node(publicKey: key) }) == nil,
            let wait = limiter.take("node-register", rate: profile.limits.nodeRegistrations, now: now)
        {
            throw .rateLimited(what: "registrations of new nodes", retryAfterSeconds: wait)
        }
        let registration = NodeRegistration(
            publicKey: key, claimCode: ClaimCode.derive(from: key, hasher: hasher), name: name,
            totalCores: totalCores, maxParallel: maxParallel, platform: platform, version: version)
        let registered: NodeRegistered
        do { registered = try store.registerNode(registration) } catch { throw .store(error) }
        return Self.registrationAnswer(
            id: registered.node.id, claimCode: registered.node.claimCode, claimed: registered.node.userID != nil)
    }

    /// `{claimCode, claimed, id}`: the canonical bytes of the tree, written directly (the tree
    /// and its sort were most of writing the answer; `NodeAnswerPathTests` pins the bytes).
    static func registrationAnswer(id: NodeID, claimCode: String, claimed: Bool) -> APIResponse {
        var w = CanonicalJSONWriter(capacity: 72 + claimCode.utf8.count)
        w.beginObject()
        w.key("claimCode"); w.string(claimCode)
        w.key("claimed"); w.bool(claimed)
        w.key("id"); w.identifier(id.raw)
        w.endObject()
        return APIResponse(status: 200, body: w.bytes)
    }

    /// What a node reads of a registration answer that is exactly `registrationAnswer`'s
    /// layout (any claim code spelling the parser reads, an id `Identifier(uuidString:)`
    /// accepts); nil for any other body, which the node then parses as JSON (the same values
    /// for these bodies).
    static func readRegistrationAnswer(_ body: [UInt8]) -> (id: NodeID, claimCode: String, claimed: Bool)? {
        var r = CanonicalJSONReader(body)
        guard r.literal("{\"claimCode\":"), let claimCode = r.string(), r.literal(",\"claimed\":") else { return nil }
        let claimed: Bool
        if r.literal("true") {
            claimed = true
        } else if r.literal("false") {
            claimed = false
        } else {
            return nil
        }
        guard r.literal(",\"id\":"), let id = r.quotedIdentifier(), r.literal("}"), r.atEnd else { return nil }
        return (NodeID(id), claimCode, claimed)
    }
}
