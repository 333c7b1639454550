/// The request handlers that were Supabase edge functions, behind one router. Pure functions of
/// (request, store, now) and the injected profile and crypto: the same code serves the
/// simulation and a real HTTP server. `now` is the handler host's clock, used only to check
/// signed timestamps; everything the store stamps or compares uses the store's own clock.
///
/// Routes:
/// - portal (an authenticated `user`): `POST /config-upsert`, `POST /job-create`,
///   `POST /node-claim`, `GET /jobs`, `GET /jobs/{id}` (this one also anonymously, for public jobs);
/// - nodes (signed, see `authenticateNode`): `POST /node-register`, `POST /node-heartbeat`,
///   `POST /chunk-complete`, `GET /config-fetch?hash=`, `GET /rotation-fetch?id=`.
public struct RequestHandlers: Sendable {
    public let profile: Profile
    let hasher: any SHA256Hashing
    let verifier: RequestVerifier
    /// Rollout option A of the seeds (a deploy setting, not a threshold): until this instant,
    /// a node request with none of the `X-Node-*` headers is served as today's handlers serve
    /// it (the node named by the body's `publicKey`, completions under today's guard), so nodes
    /// not yet upgraded keep working; from it on, unsigned requests are refused. Nil: refused
    /// from the start.
    public var acceptUnsignedUntil: Timestamp? = nil

    public init(profile: Profile, hasher: any SHA256Hashing, scheme: any SignatureScheme) {
        self.profile = profile
        self.hasher = hasher
        self.verifier = RequestVerifier(
            scheme: scheme, hasher: hasher, window: max(0, profile.signatureWindow.micros / 1_000_000))
    }

    /// Runs the request against the store at `now`. Every rejection is a `HandlerOutcome` whose
    /// response carries the error's status and code (the typed error stays beside it, for the
    /// server's logs); nothing throws out of here. A rejected request changes nothing in the
    /// store, except that a node request's signature is remembered (replay protection) once it
    /// authenticated, even if the request is then refused.
    ///
    /// Every route but today's racy config-upsert (`begin`/`resume`) is meant to run as ONE store
    /// transaction: the embedded store runs the whole handler atomically, and production runs
    /// each request in one SERIALIZABLE PostgreSQL transaction, retried on a serialization
    /// failure (SQLSTATE 40001) before it answers. Under SERIALIZABLE, the committed outcome is
    /// that of some serial order of whole transactions, so a simulation that runs each handler
    /// at one instant, between other requests but never interleaved with them, explores exactly
    /// the interleavings production can show; what it must add (and the World's API server
    /// does) is that a transaction can be lost before commit (the connection drops: nothing
    /// committed, 503) or its answer lost after commit (the API server crashes: committed, the
    /// client sees no answer).
    public func handle<S: JobStore>(_ request: APIRequest, store: inout S, limiter: inout RateLimiter, now: Timestamp) -> HandlerOutcome {
        var buffers = ResponseBuffers.none
        return handle(request, store: &store, limiter: &limiter, buffers: &buffers, now: now)
    }

    /// `handle`, with the server's reused response bodies (`ResponseBuffers`: the heartbeat's
    /// answer is written into one).
    public func handle<S: JobStore>(
        _ request: APIRequest, store: inout S, limiter: inout RateLimiter, buffers: inout ResponseBuffers, now: Timestamp
    ) -> HandlerOutcome {
        do throws(APIError) {
            return .ok(try route(request, store: &store, limiter: &limiter, buffers: &buffers, now: now))
        } catch {
            return .rejected(error, typed: request.wire != nil)
        }
    }

    /// `handle`, stopping where a request's statements are separate round trips (today's
    /// config-upsert): the simulation runs other requests before `resume`; production simply
    /// calls `handle`, whose statements interleave with other clients' on their own.
    public func begin<S: JobStore>(
        _ request: APIRequest, store: inout S, limiter: inout RateLimiter, now: Timestamp
    ) -> HandlerProgress {
        var buffers = ResponseBuffers.none
        return begin(request, store: &store, limiter: &limiter, buffers: &buffers, now: now)
    }

    /// `begin`, with the server's reused response bodies (`ResponseBuffers`).
    public func begin<S: JobStore>(
        _ request: APIRequest, store: inout S, limiter: inout RateLimiter, buffers: inout ResponseBuffers, now: Timestamp
    ) -> HandlerProgress {
        guard profile.has(.racyConfigUpsert), RequestRoute(path: request.path) == .configUpsert, request.method == "POST" else {
            return .done(handle(request, store: &store, limiter: &limiter, buffers: &buffers, now: now))
        }
        do throws(APIError) {
            try checkSizes(request)
            return try configUpsertFirstStatement(request, store: &store, now: now)
        } catch {
            return .done(.rejected(error))
        }
    }

    /// Runs a request's remaining statement.
    public func resume<S: JobStore>(_ pending: PendingStatement, store: inout S, now: Timestamp) -> HandlerOutcome {
        do throws(APIError) {
            return .ok(try configUpsertInsert(pending, store: &store))
        } catch {
            return .rejected(error)
        }
    }

    /// `handle` with a rate limiter of its own, forgotten after the request: every limit that
    /// needs no memory between requests still applies. Tests of single requests use it.
    public func handle<S: JobStore>(_ request: APIRequest, store: inout S, now: Timestamp) -> HandlerOutcome {
        var limiter = RateLimiter(capacity: 1)
        return handle(request, store: &store, limiter: &limiter, now: now)
    }

    private func route<S: JobStore>(
        _ request: APIRequest, store: inout S, limiter: inout RateLimiter, buffers: inout ResponseBuffers, now: Timestamp
    ) throws(APIError) -> APIResponse {
        // The path classified once (`RequestRoute`), for the sizes and the switch.
        let route = RequestRoute(path: request.path)
        try checkSizes(request, route: route)
        // The method compared as sent first (clients send it upper case): the upper-cased copy
        // is made only when that fails, and the answer is the same (`uppercasedASCII` returns a
        // method equal to "POST" or "GET" as it is).
        func expect(_ wanted: String) throws(APIError) {
            guard request.method == wanted || Self.uppercasedASCII(request.method) == wanted else {
                throw .methodNotAllowed(method: Self.uppercasedASCII(request.method), path: request.path)
            }
        }
        switch route {
        case .configUpsert:
            try expect("POST")
            return try configUpsert(request, store: &store, now: now)
        case .jobCreate:
            try expect("POST")
            return try jobCreate(request, store: &store, now: now)
        case .nodeRegister:
            try expect("POST")
            return try nodeRegister(request, store: &store, limiter: &limiter, now: now)
        case .nodeClaim:
            try expect("POST")
            return try nodeClaim(request, store: &store, limiter: &limiter, now: now)
        case .nodeHeartbeat:
            try expect("POST")
            return try nodeHeartbeat(request, store: &store, buffers: &buffers, now: now)
        case .chunkComplete:
            try expect("POST")
            return try chunkComplete(request, store: &store, now: now)
        case .configFetch:
            try expect("GET")
            return try configFetch(request, store: &store, now: now)
        case .rotationFetch:
            try expect("GET")
            return try rotationFetch(request, store: &store, now: now)
        case .jobs:
            try expect("GET")
            return try listJobs(request, store: store)
        case .job:
            try expect("GET")
            return try readJob(String(request.path.dropFirst("/jobs/".count)), request, store: store)
        case .unknown:
            throw .routeNotFound(request.path)
        }
    }

    /// The method upper-cased, ASCII only, as the signed message upper-cases it:
    /// `uppercased()` would route "poſt" (a long s, which upper-cases to S) as POST. The two
    /// methods clients send are already upper case and come back as they are, without
    /// building a new string. (`==` on strings is canonical equivalence, but no other string
    /// is canonically equivalent to "POST" or "GET": the only characters that decompose to an
    /// ASCII letter alone are the Kelvin sign's K, which neither holds.)
    static func uppercasedASCII(_ method: String) -> String {
        if method == "POST" || method == "GET" { return method }
        return String(decoding: method.utf8.map { (0x61...0x7A).contains($0) ? $0 - 0x20 : $0 }, as: UTF8.self)
    }

    /// A store read inside a handler: a failure (a lost connection) is the store's error, never
    /// "not found".
    static func read<T>(_ body: () throws(StoreError) -> T) throws(APIError) -> T {
        do { return try body() } catch { throw .store(error) }
    }

    /// Every request's sizes, before anything is parsed or verified: the path and query, the
    /// headers, and the body (the config routes' body limit follows the config limit, see
    /// `checkBodySize`; every other route has `limits.maxBodyBytes`). Counted in bytes.
    func checkSizes(_ request: APIRequest) throws(APIError) {
        try checkSizes(request, route: RequestRoute(path: request.path))
    }

    /// `checkSizes` with the path's route already found.
    func checkSizes(_ request: APIRequest, route: RequestRoute) throws(APIError) {
        var target = request.path.utf8.count
        // (Nodes send no query: its iterator is not even made. The headers are counted in place,
        // `APIHeaders.byteCount`: iterating `APIHeaders` made each `(name, value)` pair, a
        // retain and a release of both strings, and a node's signature as a `String`.)
        if !request.query.isEmpty {
            for (name, value) in request.query { target += name.utf8.count + value.utf8.count + 2 }
        }
        guard target <= profile.limits.maxTargetBytes else {
            throw .requestTooLarge(part: "path", bytes: target, limit: profile.limits.maxTargetBytes)
        }
        let headers = request.headers.byteCount
        guard headers <= profile.limits.maxHeaderBytes else {
            throw .requestTooLarge(part: "headers", bytes: headers, limit: profile.limits.maxHeaderBytes)
        }
        switch route {
        case .configUpsert, .jobCreate: try checkBodySize(request)
        default:
            guard request.body.count <= profile.limits.maxBodyBytes else {
                throw .bodyTooLarge(bytes: request.body.count, limit: profile.limits.maxBodyBytes)
            }
        }
    }

    /// The portal's user, or `.unauthenticated`.
    func requireUser(_ request: APIRequest) throws(APIError) -> UserID {
        guard let user = request.user else { throw .unauthenticated }
        return user
    }

    /// Completion rules from the profile's defects: today's handler never aggregates, never
    /// counts, and (its nodes presenting no claim attempt) applies today's guard.
    var completionRules: CompletionRules {
        CompletionRules(
            aggregateResult: !profile.has(.resultsNeverAggregated),
            countProgress: !profile.has(.progressNeverCounted),
            requireClaim: !profile.has(.unsignedNodes))
    }

    /// Whether `request` is an old node's, served unsigned inside the migration window
    /// (`acceptUnsignedUntil`).
    func servedUnsignedForMigration(_ request: APIRequest, now: Timestamp) -> Bool {
        guard let until = acceptUnsignedUntil, now < until else { return false }
        return !request.headers.contains(name: RequestSigning.keyHeader)
            && !request.headers.contains(name: RequestSigning.signatureHeader)
            && !request.headers.contains(name: RequestSigning.timestampHeader)
    }
}
