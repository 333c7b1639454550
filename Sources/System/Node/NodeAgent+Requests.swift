/// How the node words its requests, for both software generations.
///
/// New versions sign every request (`X-Node-Key/Sig/Ts`, over the path as
/// `RequestHandlers.signedPath` spells it: the pathname, as today's verifier signs it, at the
/// node's own clock, each retry strictly after the attempt before it: see
/// `Operation.lastSignedSecond`). Old ones
/// (`signsRequests == false`, today's nodes) send no headers, put `publicKey` in the body of
/// every request that identifies them and send no `attempt` with a completion.
extension NodeAgent {
    mutating func request(for kind: Operation.Kind, unixSeconds: Int64) -> APIRequest {
        switch kind {
        case .register:
            let body = NodeRequestBody.register(
                publicKey: publicKey, name: settings.name, totalCores: settings.totalCores,
                maxParallel: settings.maxParallel, platform: settings.platform, version: settings.version)
            return signed("POST", "/node-register", body: body, unixSeconds: unixSeconds)
        case .heartbeat:
            // New versions name the chunks their workers compute, which renews those claims.
            if settings.typedWire {
                return signed("POST", "/node-heartbeat", wire: .heartbeat(
                    computing: settings.signsRequests ? running.map(\.chunkID) : [],
                    publicKey: settings.signsRequests ? nil : publicKey), unixSeconds: unixSeconds)
            }
            let body = settings.signsRequests
                ? withRunningChunkIDs { NodeRequestBody.heartbeat(computing: $0, publicKey: nil) }
                : NodeRequestBody.heartbeat(computing: EmptyCollection(), publicKey: publicKey)
            return signed("POST", "/node-heartbeat", body: body, unixSeconds: unixSeconds)
        case .fetchConfig(let hash):
            return signed("GET", "/config-fetch", query: ["hash": hash.hex], unixSeconds: unixSeconds)
        case .fetchRotation(let id, _):
            return signed("GET", "/rotation-fetch", query: ["id": id], unixSeconds: unixSeconds)
        case .complete(let key, let result):
            if settings.typedWire {
                return signed("POST", "/chunk-complete", wire: .chunkComplete(
                    chunkID: key.chunkID, attempt: settings.signsRequests ? key.attempt : nil, result: result,
                    publicKey: settings.signsRequests ? nil : publicKey), unixSeconds: unixSeconds)
            }
            let body = NodeRequestBody.chunkComplete(
                chunkID: key.chunkID, attempt: settings.signsRequests ? key.attempt : nil, result: result,
                publicKey: settings.signsRequests ? nil : publicKey)
            return signed("POST", "/chunk-complete", body: body, unixSeconds: unixSeconds)
        }
    }

    /// The body, with `publicKey` added for old versions (their only way to say who they are).
    func identified(_ fields: [String: JSONValue]) -> JSONValue {
        var fields = fields
        if !settings.signsRequests { fields["publicKey"] = .string(publicKey.base64) }
        return .object(fields)
    }

    mutating func signed(
        _ method: String, _ path: String, query: [String: String] = [:], body: [UInt8] = [], unixSeconds: Int64
    ) -> APIRequest {
        guard settings.signsRequests else { return APIRequest(method: method, path: path, query: query, body: body) }
        let headers = signer.signedHeaders(
            method: method, path: RequestHandlers.signedPath(path: path, query: query), body: body,
            unixSeconds: unixSeconds)
        return APIRequest(method: method, path: path, query: query, headers: headers, body: body)
    }

    /// Asks for the cache lines of the signer's header buffer, which signing the next request
    /// checks (its reference count) and writes (`RequestSigner.prefetchHeaderText`), and the
    /// first line of the running list's storage, whose count and first chunk id a heartbeat's
    /// body reads first thing (`withRunningChunkIDs`). At 10,000 nodes the buffer is cold on every
    /// request and the list on every request of a node that computes; asked for together before the request is made, they
    /// arrive side by side (the running list's load waited alone at the top of
    /// `request(for:)`: 78 % of its `perf` samples). (It used to prefetch the key's spelling,
    /// which each request's header array retained; the buffer holds that spelling now, and a
    /// request retains only the buffer.) Hints only: nothing is read through them.
    @inline(__always)
    func prefetchRequestState() {
        prefetchStorage(of: running, lines: 1)
        signer.prefetchHeaderText()
    }

    /// The typed wire's request: the same headers, signed over the value's digest
    /// (`WireRequest.digest`) instead of the encoded body's SHA-256.
    mutating func signed(_ method: String, _ path: String, wire body: WireRequestBody, unixSeconds: Int64) -> APIRequest {
        let wire = WireRequest(body)
        guard settings.signsRequests else { return APIRequest(method: method, path: path, headers: [:], wire: wire) }
        let headers = signer.signedHeaders(
            method: method, path: RequestHandlers.signedPath(path: path, query: [:]), bodyDigest: wire.digest,
            unixSeconds: unixSeconds)
        return APIRequest(method: method, path: path, headers: headers, wire: wire)
    }
}
