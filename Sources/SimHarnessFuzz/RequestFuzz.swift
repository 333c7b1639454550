import JobSystem

/// Requests against a small live system: node 1 registered and claimed by user 1, who has one
/// job of a valid config. The input chooses the route, method, query, headers and body; half
/// the inputs are signed by node 1 (so the body reaches the route's own decoding).
enum RequestFuzz {
    static let paths = [
        "/config-upsert", "/job-create", "/node-register", "/node-claim", "/node-heartbeat", "/chunk-complete",
        "/config-fetch", "/rotation-fetch", "/jobs", "/jobs/00000000-0000-4000-8000-000000000001",
    ]
    static let handlers = RequestHandlers(profile: .fixed, hasher: SodiumSHA256(), scheme: Ed25519())
    static let signer = RequestSigner(signer: Ed25519().makeSigner(seed: [UInt8](repeating: 7, count: 32)), hasher: SodiumSHA256())
    static let user = UserID(Identifier(high: 1, low: 1))
    static let now = Timestamp(unixSeconds: 1_700_000_000)
    nonisolated(unsafe) static var base: EmbeddedStore = makeStore()

    static func makeStore() -> EmbeddedStore {
        var store = EmbeddedStore(seed: 1, triggerInstalled: true)
        let key = signer.signer.publicKey
        let register: JSONValue = [
            "publicKey": .string(key.base64), "name": "fuzz", "totalCores": 4, "maxParallel": 2, "platform": "linux",
            "version": "1",
        ]
        let response = handlers.handle(signed("POST", "/node-register", register.canonicalBytes, [:]), store: &store, now: now)
        if let code = response.json?["claimCode"]?.stringValue {
            _ = handlers.handle(
                APIRequest(method: "POST", path: "/node-claim", body: JSONValue.object(["claimCode": .string(code)]).canonicalBytes, user: user),
                store: &store, now: now)
        }
        return store
    }

    static func signed(_ method: String, _ path: String, _ body: [UInt8], _ query: [String: String]) -> APIRequest {
        let s = signer.sign(method: method, path: RequestHandlers.signedPath(path: path, query: query), body: body, unixSeconds: now.unixSeconds)
        var headers: APIHeaders = [:]
        for (name, value) in s.headers { headers[name] = value }
        return APIRequest(method: method, path: path, query: query, headers: headers, body: body)
    }

    static func run(_ bytes: [UInt8]) {
        guard let selector = bytes.first else { return }
        let f = fields(Array(bytes.dropFirst()), 3)
        let path = selector & 0x40 != 0 ? text(f[1]) : paths[Int(selector & 0x0F) % paths.count]
        let method = selector & 0x10 != 0 ? "GET" : "POST"
        let query = f[1].isEmpty || selector & 0x40 != 0 ? [:] : ["hash": text(f[1]), "id": text(f[1])]
        var request: APIRequest
        if selector & 0x80 != 0 {
            request = signed(method, path, f[2], query)
        } else {
            request = APIRequest(method: method, path: path, query: query, headers: ["X-Node-Key": text(f[0])], body: f[2])
        }
        if selector & 0x20 != 0 { request.user = user }
        var store = base
        let before = store.jobs(ofUser: user)
        let response = handlers.handle(request, store: &store, now: now)
        guard (100...599).contains(response.status), response.json != nil else {
            preconditionFailure("response is not a status and a JSON body: \(response.status)")
        }
        if response.status >= 400, store.jobs(ofUser: user) != before {
            preconditionFailure("a rejected request changed the user's jobs")
        }
    }
}
