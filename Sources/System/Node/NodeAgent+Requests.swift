import CPrefetch

/// How the node words its requests, for both software generations.
///
/// New versions sign every request (`X-Node-Key/Sig/Ts`, over the path as
/// `RequestHandlers.signedPath` spells it: the pathname, as today's verifier signs it, at the
/// node's own clock, each retry strictly after the attempt before it: see
/// `Operation.lastSignedSecond`). Old ones
/// (`signsRequests == false`, today's nodes) send no headers, put `publicKey` in the body of
/// every request that identifies them and send no `attempt` with a completion.
extension NodeAgent {
    func request(for kind: Operation.Kind, unixSeconds: Int64) -> APIRequest {
        switch kind {
        case .register:
            let body: JSONValue = [
                "publicKey": .string(publicKey.base64), "name": .string(settings.name),
                "totalCores": .number(Double(settings.totalCores)),
                "maxParallel": .number(Double(settings.maxParallel)), "platform": .string(settings.platform),
                "version": .string(settings.version),
            ]
            return signed("POST", "/node-register", body: body.canonicalBytes, unixSeconds: unixSeconds)
        case .heartbeat:
            // New versions name the chunks their workers compute, which renews those claims.
            if settings.typedWire {
                return signed("POST", "/node-heartbeat", wire: .heartbeat(
                    computing: settings.signsRequests ? running.map(\.chunkID) : [],
                    publicKey: settings.signsRequests ? nil : publicKey), unixSeconds: unixSeconds)
            }
            let body = settings.signsRequests
                ? NodeRequestBody.heartbeat(computing: running.lazy.map(\.chunkID), publicKey: nil)
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

    func signed(
        _ method: String, _ path: String, query: [String: String] = [:], body: [UInt8] = [], unixSeconds: Int64
    ) -> APIRequest {
        guard settings.signsRequests else { return APIRequest(method: method, path: path, query: query, body: body) }
        let signature = signer.sign(
            method: method, path: RequestHandlers.signedPath(path: path, query: query), body: body,
            unixSeconds: unixSeconds)
        return APIRequest(method: method, path: path, query: query, headers: headers(signature), body: body)
    }

    /// The three authentication headers: exactly `SignedHeaders.headers` (the signer's key is
    /// this node's), in that order, built as one array of three fields (no hashing) with the
    /// key's base64 encoded once per life rather than per request.
    func headers(_ signature: SignedHeaders) -> APIHeaders {
        APIHeaders(fields: [
            .init(name: RequestSigning.keyHeader, value: publicKeyBase64),
            .init(name: RequestSigning.signatureHeader, value: signature.signature.base64),
            .init(name: RequestSigning.timestampHeader, value: Self.decimal(signature.timestamp)),
        ])
    }

    /// Asks for the cache lines of the `X-Node-Key` value's string (the signer's
    /// `publicKeyBase64`, a heap object of its own per node), which `headers` retains. At 10,000
    /// nodes that object is cold on every request, and the retain (an atomic increment of the
    /// count in its header) waited for it: 2 % of a fleet run's samples. Asked for before the
    /// request is signed, the line arrives while the body's digest and the signature are
    /// computed. The address comes from the string's own bits (`withContiguousStorageIfAvailable`
    /// touches no storage for a native string). `start - 32` assumes the standard library's
    /// private layout (a native string's characters 32 bytes after its object's header): right
    /// or wrong, it is only ever prefetched, never read, so it changes nothing but timing and a
    /// prefetch never faults. Do not read through that address.
    @inline(__always)
    func prefetchKeySpelling() {
        _ = signer.publicKeyBase64.utf8.withContiguousStorageIfAvailable { utf8 in
            guard let start = utf8.baseAddress else { return }
            cprefetch_read(start - 32)
            cprefetch_read(start + (utf8.count - 1))
        }
    }

    /// `String(value)`, its digits written on the stack: up to 15 characters (every timestamp
    /// until the year 33,658) the string is built inline, without going through the generic
    /// integer formatter.
    static func decimal(_ value: Int64) -> String {
        guard value >= 0 && value < 1_000_000_000_000_000 else { return String(value) }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 16) { buffer in
            var start = 16
            var rest = value
            repeat {
                start -= 1
                buffer[start] = UInt8(truncatingIfNeeded: 0x30 &+ rest % 10)
                rest /= 10
            } while rest > 0
            return String(decoding: UnsafeBufferPointer(rebasing: buffer[start...]), as: UTF8.self)
        }
    }

    /// The typed wire's request: the same headers, signed over the value's digest
    /// (`WireRequest.digest`) instead of the encoded body's SHA-256.
    func signed(_ method: String, _ path: String, wire body: WireRequestBody, unixSeconds: Int64) -> APIRequest {
        let wire = WireRequest(body)
        guard settings.signsRequests else { return APIRequest(method: method, path: path, headers: [:], wire: wire) }
        let signature = signer.sign(
            method: method, path: RequestHandlers.signedPath(path: path, query: [:]), bodyDigest: wire.digest,
            unixSeconds: unixSeconds)
        return APIRequest(method: method, path: path, headers: headers(signature), wire: wire)
    }
}
