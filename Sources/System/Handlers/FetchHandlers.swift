/// `GET /config-fetch?hash=` and `GET /rotation-fetch?id=` (node): the stored canonical JSON.
extension RequestHandlers {
    /// The config's canonical JSON (the bytes its hash was taken of), so a node can verify the
    /// hash itself. 404 `configNotFound` for an unknown hash.
    func configFetch<S: JobStore>(_ request: APIRequest, store: inout S, now: Timestamp) throws(APIError) -> APIResponse {
        _ = try authenticateNode(request, store: &store, now: now, identify: false)
        guard let text = request.query["hash"], let hash = ConfigHash(hex: text) else {
            throw .invalidQuery(parameter: "hash", expected: "64 lowercase hex digits")
        }
        guard let row = try Self.read({ () throws(StoreError) in try store.config(hash) }) else { throw .store(.configNotFound(hash)) }
        return .ok(canonicalJSON: row.canonicalJSON)
    }

    /// The rotation's canonical JSON. 404 `rotationNotFound` for an unknown id.
    func rotationFetch<S: JobStore>(_ request: APIRequest, store: inout S, now: Timestamp) throws(APIError) -> APIResponse {
        _ = try authenticateNode(request, store: &store, now: now, identify: false)
        guard let id = request.query["id"], !id.isEmpty else {
            throw .invalidQuery(parameter: "id", expected: "a rotation id")
        }
        guard let row = try Self.read({ () throws(StoreError) in try store.rotation(id) }) else { throw .store(.rotationNotFound(id)) }
        return .ok(canonicalJSON: row.canonicalJSON)
    }
}
