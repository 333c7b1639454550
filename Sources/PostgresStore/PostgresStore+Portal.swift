import JobSystem

/// The portal's operations.
extension PostgresStore {
    /// `INSERT … ON CONFLICT (hash) DO UPDATE SET last_used_at = now()`: one statement, so two
    /// clients upserting the same config at once both succeed and exactly one inserts
    /// (`xmax = 0` tells a fresh row from an updated one). With `checkThenInsert`, the second
    /// statement of today's racy pair (the handler ran the lookup before, as its own statement):
    /// a plain INSERT that loses a race with `.uniqueViolation`.
    public mutating func upsertConfig(_ config: NewConfig, checkThenInsert: Bool) throws(StoreError) -> Bool {
        if checkThenInsert {
            try db.execute(
                "INSERT INTO jobs_configs (hash, config, config_text, rotation_id) VALUES ($1, $2::text::jsonb, $2::text, $3)",
                [config.hash.hex, config.canonicalJSON, config.rotationID])
            return true
        }
        return try Self.upsertConfigRow(config, on: db)
    }

    static func upsertConfigRow(_ config: NewConfig, on db: PGConnection) throws(StoreError) -> Bool {
        try db.run("""
            INSERT INTO jobs_configs (hash, config, config_text, rotation_id) VALUES ($1, $2::text::jsonb, $2::text, $3)
            ON CONFLICT (hash) DO UPDATE SET last_used_at = now()
            RETURNING xmax = 0
            """, [config.hash.hex, config.canonicalJSON, config.rotationID]).first!.bool(0)
    }

    /// One READ COMMITTED transaction: the config upsert (merged RPC) or a `FOR KEY SHARE` check
    /// that it exists (which also keeps the clean-up from deleting it before commit), the job,
    /// then its chunks in index order with one INSERT, so the trigger notifies in index order.
    public mutating func createJob(_ job: NewJob, upserting config: NewConfig?) throws(StoreError) -> JobCreated {
        precondition(job.totalIterations > 0 && job.chunkIterations > 0, "a job needs iterations")
        if let config { precondition(config.hash == job.configHash, "the upserted config must be the job's") }
        return try db.transaction(.readCommitted) { (db: PGConnection) throws(StoreError) -> JobCreated in
            var inserted = false
            if let config {
                inserted = try Self.upsertConfigRow(config, on: db)
            } else if try db.run("SELECT 1 FROM jobs_configs WHERE hash = $1 FOR KEY SHARE", [job.configHash.hex]).isEmpty {
                throw .configNotFound(job.configHash)
            }
            let chunks = (job.totalIterations + job.chunkIterations - 1) / job.chunkIterations
            let jobID: JobID = try db.run("""
                INSERT INTO jobs (user_id, config_hash, total_iterations, access_type, discord_server_id, chunk_count)
                VALUES ($1, $2, $3, $4, $5, $6) RETURNING id
                """, [job.userID.uuidString, job.configHash.hex, String(job.totalIterations), job.accessType.rawValue,
                      job.discordServerID, String(chunks)]).first!.id(0)
            try db.run("""
                INSERT INTO jobs_chunks (job_id, chunk_index, config_hash, iterations, seed_offset)
                SELECT $1, i, $2, least($3, $4 - i * $3), i::bigint * $3
                FROM generate_series(0, $5 - 1) AS i ORDER BY i
                """, [jobID.uuidString, job.configHash.hex, String(job.chunkIterations), String(job.totalIterations),
                      String(chunks)])
            return JobCreated(jobID: jobID, chunks: chunks, configInserted: inserted)
        }
    }

    public func job(_ id: JobID) throws(StoreError) -> JobRow? {
        try db.execute("SELECT \(Self.jobColumns) FROM jobs WHERE id = $1", [id.uuidString]).first.map(Self.job)
    }

    public func jobs(ofUser user: UserID) throws(StoreError) -> [JobRow] {
        try db.execute(
            "SELECT \(Self.jobColumns) FROM jobs WHERE user_id = $1 ORDER BY created_at DESC, seq DESC", [user.uuidString]
        ).all.map(Self.job)
    }

    public func chunks(ofJob job: JobID) throws(StoreError) -> [ChunkRow] {
        try db.execute(
            "SELECT \(Self.chunkColumns) FROM jobs_chunks WHERE job_id = $1 ORDER BY chunk_index", [job.uuidString]
        ).all.map(Self.chunk)
    }

    public func chunk(_ id: ChunkID) throws(StoreError) -> ChunkRow? {
        try db.execute("SELECT \(Self.chunkColumns) FROM jobs_chunks WHERE id = $1", [id.uuidString]).first.map(Self.chunk)
    }

    public func config(_ hash: ConfigHash) throws(StoreError) -> ConfigRow? {
        guard let r = try db.execute("""
            SELECT config_text, rotation_id, epoch_us(created_at), epoch_us(last_used_at) FROM jobs_configs WHERE hash = $1
            """, [hash.hex]).first
        else { return nil }
        return ConfigRow(
            hash: hash, canonicalJSON: try r.string(0), rotationID: r.optionalString(1), createdAt: try r.timestamp(2),
            lastUsedAt: try r.timestamp(3))
    }

    public func rotation(_ id: String) throws(StoreError) -> RotationRow? {
        guard let r = try db.execute("SELECT config, epoch_us(created_at) FROM rotations WHERE id = $1", [id]).first
        else { return nil }
        return RotationRow(id: id, canonicalJSON: try r.string(0), createdAt: try r.timestamp(1))
    }

    public mutating func upsertRotation(id: String, canonicalJSON: String) throws(StoreError) {
        try db.execute(
            "INSERT INTO rotations (id, config) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET config = excluded.config",
            [id, canonicalJSON])
    }

    public mutating func upsertUser(_ user: UserRow) throws(StoreError) {
        try db.execute(
            "INSERT INTO users (id, discord_id) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET discord_id = excluded.discord_id",
            [user.id.uuidString, user.discordID])
    }

    public func user(_ id: UserID) throws(StoreError) -> UserRow? {
        guard let r = try db.execute("SELECT discord_id FROM users WHERE id = $1", [id.uuidString]).first else { return nil }
        return UserRow(id: id, discordID: r.optionalString(0))
    }
}
