/// `POST /config-upsert` (portal): `{config: {...}}` → `{success: true, hash}`.
extension RequestHandlers {
    /// Validates and hashes the config (`prepareConfig`) and upserts it: a new hash is inserted,
    /// a known one has its `last_used_at` touched. With `.racyConfigUpsert` the store is asked
    /// for today's check-then-insert, which can lose a race with `.uniqueViolation` (409).
    func configUpsert<S: JobStore>(_ request: APIRequest, store: inout S, now: Timestamp) throws(APIError) -> APIResponse {
        _ = try requireUser(request)
        try checkBodySize(request)
        let body = try RequestBody(request.body)
        let config = try prepareConfig(try body.object("config"), store: store).row
        do {
            _ = try store.upsertConfig(config, checkThenInsert: profile.has(.racyConfigUpsert))
        } catch {
            throw .store(error)
        }
        return .ok(["success": true, "hash": .string(config.hash.hex)])
    }
}
