/// chunk-complete's transaction.
extension EmbeddedStore {
    /// Records a node's result for a chunk.
    ///
    /// With `rules.requireClaim` (the fix) the outcome is decided in this order:
    /// - the chunk is completed: `.duplicate` if this node's completion with this attempt is the
    ///   one stored (a retry or duplicated message), else `.alreadyCompleted`; nothing changes;
    /// - the node holds the latest claim, i.e. `attempt` equals the chunk's and either the chunk
    ///   runs on this node, or it is pending with `last_node_id` = this node (its claim was
    ///   reaped or reclaimed but not yet given to anyone else: its late result is accepted,
    ///   results are deterministic and it saves the rerun): `.accepted`;
    /// - otherwise (`attempt` missing or old, or another node holds the chunk): `.staleClaim`.
    ///
    /// Without `requireClaim` (today's handler, which checks no claim): every completion is
    /// accepted, from any node, for any chunk. A completion of an already completed chunk
    /// rewrites its result and `completed_at`, and the job's "no chunk left" step runs again
    /// (rewriting the job's `completed_at`, and its result when aggregating), exactly as today's
    /// UPDATE-then-recount does. Progress is counted only on a chunk's transition to completed
    /// (the increment belongs to the statement that completes it), so even then it is never
    /// counted twice; today it is never counted at all.
    ///
    /// On acceptance: the chunk becomes `completed` with `result` and `completed_at = now`
    /// (`node_id` is left as it was: the column names the assignment, not the reporter); if it
    /// was running, its node's running count drops; with `countProgress`, `completed_iterations
    /// += iterations` of the chunk; the job turns `running` on its first completion and
    /// `completed` (with `completed_at`, and with `aggregateResult` its `result`, the aggregate of
    /// all chunk results in chunk index order) when no chunk is left.
    ///
    /// - Throws: `.chunkNotFound`, `.nodeNotFound` (the reporting node must exist);
    ///   `.illegalTransition` when the job would complete but its results do not aggregate
    ///   (an exact sum would overflow: only results beyond what their config allows, which
    ///   chunk-complete refuses first), so a job is never completed without a result.
    public mutating func completeChunk(_ completion: Completion, rules: CompletionRules, now: Timestamp) throws(StoreError) -> CompletionOutcome {
        guard let chunk = chunkHandles[completion.chunkID] else { throw .chunkNotFound(completion.chunkID) }
        guard nodeHandles[completion.nodeID] != nil else { throw .nodeNotFound }
        let row = chunks[chunk]
        let node = completion.nodeID

        if rules.requireClaim {
            if row.status == .completed {
                if chunkCompletedBy[chunk] == node, completion.attempt == chunkCompletedAttempt[chunk] {
                    return .duplicate(jobID: row.jobID)
                }
                return .alreadyCompleted(jobID: row.jobID)
            }
            let holds = row.nodeID == node || (row.status == .pending && row.nodeID == nil && row.lastNodeID == node)
            guard holds, completion.attempt == row.attempt else { return .staleClaim(jobID: row.jobID) }
        }

        let job = chunkJob[chunk]
        let firstTime = row.status != .completed
        let unfinishedAfter = jobUnfinished[job] - (firstTime ? 1 : 0)
        let jobStatus = jobs[job].status
        let jobTarget: JobStatus = unfinishedAfter == 0 ? .completed : (jobStatus == .pending ? .running : jobStatus)
        try Self.checkChunk(row.status, .completed, row.id)
        try Self.checkJob(jobStatus, jobTarget, jobs[job].id)
        // A job never completes without its result: the aggregate (checked arithmetic) is
        // taken before anything is written, and a completion it cannot take is refused whole.
        var aggregate: SimulationResult?
        if unfinishedAfter == 0, rules.aggregateResult {
            aggregate = SimulationResult.aggregate(jobChunks[job].compactMap { $0 == chunk ? completion.result : chunks[$0].result })
            guard aggregate != nil else {
                throw .illegalTransition("job \(jobs[job].id) cannot complete: its chunk results do not aggregate (overflow)")
            }
        }
        // Validated; from here on nothing throws.

        if row.status == .running { leaveRunning(chunk) }
        setChunkStatus(chunk, .completed)
        chunks[chunk].result = completion.result
        chunks[chunk].completedAt = now
        chunkCompletedBy[chunk] = node
        chunkCompletedAttempt[chunk] = completion.attempt ?? 0
        chunkRowWritten(chunk)
        if row.status == .pending { trimPendingQueue() }

        if firstTime {
            jobUnfinished[job] -= 1
            if rules.countProgress {
                jobs[job].completedIterations += row.iterations
            } else {
                jobUncountedCompletions[job] += 1
            }
        }
        setJobStatus(job, jobTarget)
        if unfinishedAfter == 0 {
            jobs[job].completedAt = now
            if rules.aggregateResult { jobs[job].result = aggregate }
        }
        return .accepted(jobID: row.jobID, jobCompleted: unfinishedAfter == 0)
    }
}
