/// The portal's operations: configs, jobs and their chunks, rotations, users.
extension EmbeddedStore {
    /// Inserts the config if its hash is new (created_at = last_used_at = now), else touches
    /// `last_used_at` (reuse keeps a config alive against the cleanup). Returns whether it inserted.
    ///
    /// `checkThenInsert` (today's racy upsert, an insert that ignores duplicates) inserts a new
    /// config but leaves an existing one untouched: its `last_used_at` stays old. An embedded
    /// operation is atomic, so nothing slips in between its lookup and its insert; today's race
    /// lies between the portal's *two* calls, `upsertConfig` and then `createJob(upserting: nil)`,
    /// where the hourly cleanup can delete a config that was unused for a week (and that the
    /// upsert did not refresh), and make the second call fail with `.configNotFound`.
    /// The store does not check `rotationID` (the config is opaque jsonb to it); the handler does.
    public mutating func upsertConfig(_ config: NewConfig, checkThenInsert: Bool) throws(StoreError) -> Bool {
        if checkThenInsert && configs[config.hash] != nil {
            throw .uniqueViolation("jobs_configs_pkey")
        }
        return upsertConfigRow(config)
    }

    /// Insert-or-touch; cannot fail.
    mutating func upsertConfigRow(_ config: NewConfig) -> Bool {
        if configs[config.hash] != nil {
            configs[config.hash]!.lastUsedAt = now
            return false
        }
        configs[config.hash] = ConfigRow(
            hash: config.hash, canonicalJSON: config.canonicalJSON, rotationID: config.rotationID,
            createdAt: now, lastUsedAt: now)
        configOrder.append(config.hash)
        return true
    }

    /// Creates a pending job and its pending chunks in one step.
    ///
    /// - With `upserting` (the merged RPC): the config is upserted in the same step (inserted or
    ///   its `last_used_at` touched). Its hash must be `job.configHash`.
    /// - Without (today's second call): the config must exist, else `.configNotFound`; its
    ///   `last_used_at` is not touched (today's job-create only checks it exists).
    ///
    /// Chunking: `ceil(total / chunkIterations)` chunks of `chunkIterations`, the last taking the
    /// remainder; chunk i's `seed_offset` is the sum of the iterations of chunks 0..<i, so the
    /// chunks' seed ranges tile `0..<total` without overlap. Each chunk is inserted `pending`
    /// with `node_id` NULL and a fresh `pending_seq`, in index order, and so (with the trigger)
    /// notifies `pending_chunk` once, in index order.
    ///
    /// - Precondition: `totalIterations > 0`, `chunkIterations > 0` (the handler validates
    ///   requests; a store call with nothing to run is a programming error).
    public mutating func createJob(_ job: NewJob, upserting config: NewConfig?) throws(StoreError) -> JobCreated {
        precondition(job.totalIterations > 0 && job.chunkIterations > 0, "a job needs iterations")
        if let config {
            precondition(config.hash == job.configHash, "the upserted config must be the job's")
        } else if configs[job.configHash] == nil {
            throw .configNotFound(job.configHash)
        }
        // Validated; from here on nothing throws.
        let inserted = config.map { upsertConfigRow($0) } ?? false

        let jobID = JobID(freshID())
        let chunkCount = (job.totalIterations + job.chunkIterations - 1) / job.chunkIterations
        let jobHandle = jobs.count
        jobs.append(JobRow(
            id: jobID, userID: job.userID, configHash: job.configHash, status: .pending,
            totalIterations: job.totalIterations, completedIterations: 0, result: nil,
            accessType: job.accessType, discordServerID: job.discordServerID, chunkCount: chunkCount,
            createdAt: now, completedAt: nil))
        changes.append(.job(JobChange(id: jobs[jobs.count - 1].id, from: nil, to: .pending, at: now)))
        jobStatusCounts[JobStatus.pending.ordinal] += 1
        do {
            let rows = jobs
            jobIndex.insert(jobID.raw, handle: jobHandle) { rows[$0].id.raw }
        }
        jobsByUser[job.userID, default: []].append(jobHandle)
        jobsPerConfig[job.configHash, default: 0] += 1
        jobUnfinished.append(chunkCount)
        jobUncountedCompletions.append(0)
        jobChunkIterations.append(job.chunkIterations)
        jobChunkIDStreams.append(rng.state)

        // The chunks' iterations and seed offsets follow from their index (see `ChunkSlot`).
        precondition(chunkCount < Int(Int32.max), "too many chunks in one job")
        // The job's handle range first: a chunk's index is its handle less the range's start.
        let first = chunkSlots.count
        jobChunks.append(first..<first + chunkCount)
        // The index grown once for the whole job, then each chunk's home slot asked for
        // `lookahead` chunks before its insert (its id is known from the stream beforehand).
        do {
            let slots = chunkSlots, streams = jobChunkIDStreams, ranges = jobChunks
            chunkIndex.reserve(first + chunkCount) { h in
                let job = Int(slots[h].job)
                return Self.chunkID(stream: streams[job], index: h - ranges[job].lowerBound).raw
            }
        }
        let stream = jobChunkIDStreams[jobHandle]
        let lookahead = 8
        for k in 0..<min(lookahead, chunkCount) { chunkIndex.prefetchHome(Self.chunkID(stream: stream, index: k).raw) }
        for k in 0..<chunkCount {
            if k + lookahead < chunkCount { chunkIndex.prefetchHome(Self.chunkID(stream: stream, index: k + lookahead).raw) }
            insertChunk(ChunkID(freshID()), ChunkSlot(job: Int32(jobHandle)))
        }
        precondition(jobChunks[jobHandle] == first..<chunkSlots.count, "a job's chunks take consecutive handles")
        return JobCreated(jobID: jobID, chunks: chunkCount, configInserted: inserted)
    }

    /// Appends a pending chunk row, queues it and runs the trigger.
    private mutating func insertChunk(_ id: ChunkID, _ slot: ChunkSlot) {
        let handle = chunkSlots.count
        precondition(handle < Int(Int32.max), "too many chunks")
        chunkSlots.append(slot)
        chunkResults.appendNull()
        // The id is recomputed, not stored: the recomputation must give the id drawn.
        precondition(chunkID(handle) == id, "chunk ids are consecutive draws of the id stream")
        do {
            let slots = chunkSlots, streams = jobChunkIDStreams, ranges = jobChunks
            chunkIndex.insert(id.raw, handle: handle) { h in
                let job = Int(slots[h].job)
                return Self.chunkID(stream: streams[job], index: h - ranges[job].lowerBound).raw
            }
        }
        chunkStatusCounts[ChunkStatus.pending.ordinal] += 1
        enqueuePending(handle)
        chunkRowWritten(handle)
    }

    public func job(_ id: JobID) -> JobRow? {
        jobHandle(id).map { jobs[$0] }
    }

    /// A user's jobs, newest first: by `created_at` descending, ties newest-created first.
    public func jobs(ofUser user: UserID) -> [JobRow] {
        let handles = jobsByUser[user] ?? []
        // Created while the store's clock never stepped back (the usual case): the reversed
        // creation order is already by `created_at` descending with ties newest-created first,
        // which is what the sort below returns, so it is skipped. The job-create quota reads
        // this list on every create: sorting the rows (each comparison and move a `JobRow`)
        // made a user's creates quadratic in their jobs.
        var inCreationOrder = true
        for i in handles.indices.dropFirst() where jobs[handles[i - 1]].createdAt > jobs[handles[i]].createdAt {
            inCreationOrder = false
            break
        }
        if inCreationOrder { return handles.reversed().map { jobs[$0] } }
        let rows = handles.reversed().map { jobs[$0] }
        // Stable sort: within one created_at, the reversed creation order stands.
        return rows.enumerated()
            .sorted { ($0.element.createdAt, $1.offset) > ($1.element.createdAt, $0.offset) }
            .map(\.element)
    }

    /// A job's chunks by index; empty for an unknown job.
    public func chunks(ofJob job: JobID) -> [ChunkRow] {
        guard let handle = jobHandle(job) else { return [] }
        return jobChunks[handle].map { chunkRow($0) }
    }

    public func chunk(_ id: ChunkID) -> ChunkRow? {
        chunkHandle(id).map { chunkRow($0) }
    }

    public func config(_ hash: ConfigHash) -> ConfigRow? { configs[hash] }

    public func rotation(_ id: String) -> RotationRow? { rotations[id] }

    /// Inserts the rotation (`created_at = now`), or replaces its JSON keeping `created_at`.
    public mutating func upsertRotation(id: String, canonicalJSON: String) throws(StoreError) {
        rotations[id] = RotationRow(id: id, canonicalJSON: canonicalJSON, createdAt: rotations[id]?.createdAt ?? now)
    }

    /// Inserts or replaces the user (`auth.users` joined with its Discord identity).
    public mutating func upsertUser(_ user: UserRow) throws(StoreError) {
        users[user.id] = user
        // The owners' Discord id in the snapshot's node fields (users change rarely: a scan).
        for handle in nodeDense.indices where nodeDense[handle].userID == user.id {
            nodeDense[handle].ownerDiscordID = user.discordID
        }
    }

    public func user(_ id: UserID) -> UserRow? { users[id] }
}
