/// What config-upsert and the merged job-create check before a config reaches the store.
extension RequestHandlers {
    /// Canonicalizes (RFC 8785) and hashes (SHA-256 of the canonical bytes) a submitted config,
    /// after checking: canonical size ≤ `profile.maxConfigBytes`; it parses as a `SimConfig`;
    /// one fight needs at most `limits.maxCastsPerFight` casts (422 `iterationTooCostly`);
    /// a referenced rotation exists and names only the config's abilities (so every stored
    /// config is one a node can simulate). The hash covers the config as submitted, unknown
    /// fields included, as today's config-upsert hashes the JSON it was given.
    func prepareConfig<S: JobStore>(_ value: JSONValue, store: S) throws(APIError) -> (row: NewConfig, config: SimConfig) {
        let bytes = value.canonicalBytes
        guard bytes.count <= profile.maxConfigBytes else {
            throw .configTooLarge(bytes: bytes.count, limit: profile.maxConfigBytes)
        }
        let config: SimConfig
        do { config = try SimConfig(json: value) } catch { throw .invalidConfig(error) }
        let casts = config.castsPerFightBound
        guard casts <= profile.limits.maxCastsPerFight else {
            throw .iterationTooCostly(casts: casts, limit: profile.limits.maxCastsPerFight)
        }
        if let rotationID = config.rotationId {
            guard let row = try Self.read({ () throws(StoreError) in try store.rotation(rotationID) }) else { throw .unknownRotation(rotationID) }
            do {
                let rotation = try Rotation(json: try JSONValue.parse(row.canonicalJSON))
                _ = try config.priority(with: rotation)
            } catch let error as ConfigError {
                throw .invalidConfig(error)
            } catch {
                // A stored rotation is canonical JSON written by the store's own writers.
                throw .unknownRotation(rotationID)
            }
        }
        let row = NewConfig(
            hash: ConfigHash(digest: hasher.sha256(bytes)), canonicalJSON: String(decoding: bytes, as: UTF8.self),
            rotationID: config.rotationId)
        return (row, config)
    }

    /// A cheap early refusal of bodies far beyond the config limit, before parsing them (the
    /// raw body may carry whitespace the canonical form drops, hence the slack).
    func checkBodySize(_ request: APIRequest) throws(APIError) {
        guard request.body.count <= bodyLimit(path: request.path) else {
            throw bodyTooLarge(path: request.path, bytes: request.body.count)
        }
    }
}
