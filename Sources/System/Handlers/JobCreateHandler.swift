/// `POST /job-create` (portal) → `{jobId, chunks, queued: true}`.
extension RequestHandlers {
    /// Fixed: `{config: {...}, iterations, accessType, discordServerId?}` and one store call that
    /// upserts the config and creates the job and its chunks atomically (the review's merged RPC).
    ///
    /// With `.racyConfigUpsert` (today's second call): `{configHash, iterations, accessType,
    /// discordServerId?}`; the config must already exist (404 `configNotFound` when a cleanup or
    /// a lost race removed it after the portal's config-upsert).
    ///
    /// Iterations must be in `1...profile.maxJobIterations`, and iterations × the config's casts
    /// per fight at most `limits.maxCastsPerJob` (422 `jobTooCostly`); chunks are `profile.chunkIterations`
    /// each. `accessType` is one of `private`, `public`, `user`, `discord`; `discord` needs a
    /// `discordServerId` (not empty nor only whitespace: 400 `discordServerRequired`; at most 64
    /// bytes, no whitespace or control characters: 400 `invalidField`), stored only for discord jobs.
    func jobCreate<S: JobStore>(_ request: APIRequest, store: inout S, now: Timestamp) throws(APIError) -> APIResponse {
        let user = try requireUser(request)
        try checkBodySize(request)
        let body = try RequestBody(request.body)

        let config: NewConfig?
        let hash: ConfigHash
        /// Casts per fight of the job's config (nil: a stored config that is gone, which the
        /// store refuses with `configNotFound`).
        let castsPerFight: Int?
        if profile.has(.racyConfigUpsert) {
            guard let parsed = ConfigHash(hex: try body.string("configHash")) else {
                throw .invalidField(field: "configHash", expected: "64 lowercase hex digits")
            }
            config = nil
            hash = parsed
            castsPerFight = try Self.read({ () throws(StoreError) in try store.config(parsed) }).flatMap { try? JSONValue.parse($0.canonicalJSON) }
                .flatMap { try? SimConfig(json: $0) }?.castsPerFightBound
        } else {
            let prepared = try prepareConfig(try body.object("config"), store: store)
            config = prepared.row
            hash = prepared.row.hash
            castsPerFight = prepared.config.castsPerFightBound
        }

        let iterations = try body.int("iterations")
        guard (1...profile.maxJobIterations).contains(iterations) else {
            throw .invalidIterations(iterations, limit: profile.maxJobIterations)
        }
        if let castsPerFight {
            // Both ≤ 10^8 or so: the product cannot overflow, but stay checked.
            let (cost, overflow) = castsPerFight.multipliedReportingOverflow(by: iterations)
            guard !overflow, cost <= profile.limits.maxCastsPerJob else {
                throw .jobTooCostly(casts: overflow ? .max : cost, limit: profile.limits.maxCastsPerJob)
            }
        }
        guard let access = AccessType(rawValue: try body.string("accessType")) else {
            throw .invalidField(field: "accessType", expected: "one of private, public, user, discord")
        }
        var discordServerID: String?
        if access == .discord {
            guard let server = try body.optionalString("discordServerId"), server.contains(where: { !$0.isWhitespace }) else {
                throw .discordServerRequired
            }
            // A guild id is matched by its exact bytes (the Bloom filter hashes them): no
            // whitespace or control characters anywhere, at most 64 bytes.
            guard server.utf8.count <= 64, !server.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 || $0.value == 0x7F })
            else {
                throw .invalidField(field: "discordServerId", expected: "a guild id of at most 64 bytes, without spaces or control characters")
            }
            discordServerID = server
        }

        try checkJobQuota(of: user, store: store, now: now)

        let job = NewJob(
            userID: user, configHash: hash, totalIterations: iterations, chunkIterations: profile.chunkIterations,
            accessType: access, discordServerID: discordServerID)
        let created: JobCreated
        do {
            created = try store.createJob(job, upserting: config)
        } catch {
            throw .store(error)
        }
        return .ok(["jobId": .string(created.jobID.uuidString), "chunks": .number(Double(created.chunks)), "queued": true])
    }

    /// Per-user limits on job creation, read from the user's own jobs (no other state): at most
    /// `limits.maxUnfinishedJobsPerUser` pending or running, and `limits.maxJobsPerUserPerHour`
    /// created in the last hour. 429 `rate_limited` with a retry hint: when the hour's oldest
    /// job leaves the window, or a minute for unfinished jobs (they finish at their own pace).
    func checkJobQuota<S: JobStore>(of user: UserID, store: S, now: Timestamp) throws(APIError) {
        let jobs = try Self.read({ () throws(StoreError) in try store.jobs(ofUser: user) })  // newest first
        let hourAgo = now - .hours(1)
        let recent = jobs.prefix { $0.createdAt > hourAgo }
        if recent.count >= profile.limits.maxJobsPerUserPerHour, let oldest = recent.last {
            let wait = Swift.max(1, ((oldest.createdAt + .hours(1)).micros - now.micros + 999_999) / 1_000_000)
            throw .rateLimited(what: "jobs created in the last hour (at most \(profile.limits.maxJobsPerUserPerHour))", retryAfterSeconds: Int(wait))
        }
        var unfinished = 0
        for job in jobs where job.status != .completed {
            unfinished += 1
            if unfinished >= profile.limits.maxUnfinishedJobsPerUser {
                throw .rateLimited(what: "unfinished jobs (at most \(profile.limits.maxUnfinishedJobsPerUser))", retryAfterSeconds: 60)
            }
        }
    }
}
