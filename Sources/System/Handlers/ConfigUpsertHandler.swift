/// `POST /config-upsert` (portal): `{config: {...}}` → `{success: true, hash}`.
extension RequestHandlers {
    /// Validates and hashes the config (`prepareConfig`) and upserts it: a new hash is inserted,
    /// a known one has its `last_used_at` touched, in one statement.
    ///
    /// With `.racyConfigUpsert`, today's upsert: two statements, each a round trip from the edge
    /// function to the database, with other clients' statements in between. A SELECT of the
    /// hash (found: answered as a success, `last_used_at` untouched, a duplicate ignored), then a
    /// plain INSERT, which loses to a concurrent submission of the same config with
    /// `.uniqueViolation` (409, PostgreSQL's message). `begin` stops between the two
    /// (`HandlerProgress.awaiting`), so the simulation can run other requests in the gap.
    func configUpsert<S: JobStore>(_ request: APIRequest, store: inout S, now: Timestamp) throws(APIError) -> APIResponse {
        switch try configUpsertFirstStatement(request, store: &store, now: now) {
        case .done(let outcome): return outcome.response
        case .awaiting(let pending): return try configUpsertInsert(pending, store: &store)
        }
    }

    /// Everything up to today's SELECT (or, fixed, the whole upsert).
    func configUpsertFirstStatement<S: JobStore>(
        _ request: APIRequest, store: inout S, now: Timestamp
    ) throws(APIError) -> HandlerProgress {
        _ = try requireUser(request)
        try checkBodySize(request)
        let body = try RequestBody(request.body)
        let config = try prepareConfig(try body.object("config"), store: store).row
        guard profile.has(.racyConfigUpsert) else {
            do { _ = try store.upsertConfig(config, checkThenInsert: false) } catch { throw .store(error) }
            return .done(.ok(Self.configUpserted(config)))
        }
        let found: ConfigRow?
        do { found = try store.config(config.hash) } catch { throw .store(error) }
        if found != nil { return .done(.ok(Self.configUpserted(config))) }
        return .awaiting(PendingStatement(insertConfig: config))
    }

    /// Today's second statement: the plain INSERT.
    func configUpsertInsert<S: JobStore>(_ pending: PendingStatement, store: inout S) throws(APIError) -> APIResponse {
        do { _ = try store.upsertConfig(pending.insertConfig, checkThenInsert: true) } catch { throw .store(error) }
        return Self.configUpserted(pending.insertConfig)
    }

    static func configUpserted(_ config: NewConfig) -> APIResponse {
        .ok(["success": true, "hash": .string(config.hash.hex)])
    }
}

/// Where a request stands: answered, or waiting for its next statement's round trip.
public enum HandlerProgress: Sendable {
    case done(HandlerOutcome)
    /// `RequestHandlers.resume` runs the rest; other clients' statements may run first.
    case awaiting(PendingStatement)
}

/// The statement a request still has to run (today's config-upsert INSERT).
public struct PendingStatement: Sendable {
    let insertConfig: NewConfig
}
