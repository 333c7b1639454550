/// chunk-complete's transaction.
extension EmbeddedStore {
    /// Records a node's result for a chunk: `CompletionRule.decide` on the chunk's row, then
    /// its write. On acceptance the chunk becomes `completed` with `result` and `completed_at =
    /// now` (`node_id` is left as it was: the column names the assignment, not the reporter);
    /// if it was running, its node's running count drops; `completed_iterations` grows by the
    /// rule's amount; the job takes the rule's status and, when no chunk is left, `completed_at`
    /// and (with `aggregateResult`) its `result`, the aggregate of all chunk results in chunk
    /// index order.
    ///
    /// - Throws: `.chunkNotFound`, `.nodeNotFound` (the reporting node must exist);
    ///   `.illegalTransition` when the job would complete but its results do not aggregate
    ///   (an exact sum would overflow: only results beyond what their config allows, which
    ///   chunk-complete refuses first), so a job is never completed without a result.
    public mutating func completeChunk(_ completion: Completion, rules: CompletionRules) throws(StoreError) -> CompletionOutcome {
        try completeChunk(completion, by: NodeCaller(id: completion.nodeID), rules: rules)
    }

    /// `completeChunk(_:rules:)` with the reporter's handle taken from `caller` (checked as
    /// `heartbeat(_:)` checks it; looked up by id when it is not the node's): the lookup of the
    /// reporter by id was a cache miss in the node index on every completion at 10,000 nodes
    /// (two thirds of this function's samples), where the handler has just found the caller.
    /// The same checks in the same order: the chunk first, then the node. A caller that is not
    /// the reporting node is ignored (the reporter looked up by id), as the protocol's default
    /// ignores every caller: the handlers never pass one, and a store must not trap on it.
    public mutating func completeChunk(
        _ completion: Completion, by caller: NodeCaller, rules: CompletionRules
    ) throws(StoreError) -> CompletionOutcome {
        guard let chunk = chunkHandle(completion.chunkID, heldBy: caller) else { throw .chunkNotFound(completion.chunkID) }
        let reporter = try handle(of: caller.id == completion.nodeID ? caller : NodeCaller(id: completion.nodeID))
        let row = chunkRow(chunk)
        let job = Int(chunkSlots[chunk].job)
        let mark = nodeID(chunkSlots[chunk].completedBy).map { CompletionMark(nodeID: $0, attempt: Int(chunkSlots[chunk].completedAttempt)) }
        let write: CompletionRule.Write
        switch try CompletionRule.decide(
            completion, chunk: row, completedBy: mark, jobStatus: jobs[job].status, unfinished: jobUnfinished[job],
            rules: rules)
        {
        case .answer(let outcome): return outcome
        case .record(let w): write = w
        }
        // A job never completes without its result: the aggregate (checked arithmetic) is
        // taken before anything is written, and a completion it cannot take is refused whole.
        var aggregate: SimulationResult?
        if write.writeResult {
            // (Through a local reference to the results: a closure calling `chunkResult` captured,
            // and copied, the whole store.)
            let stored = chunkResults
            aggregate = SimulationResult.aggregate(jobChunks[job].compactMap {
                $0 == chunk ? completion.result : stored.tally($0).map { ChunkResult(tally: $0) }
            })
            guard aggregate != nil else {
                throw .illegalTransition("job \(jobs[job].id) cannot complete: its chunk results do not aggregate (overflow)")
            }
        }
        // Decided and validated; from here on nothing throws.

        if write.leavesRunning { leaveRunning(chunk) }
        setChunkStatus(chunk, .completed)
        chunkResults.set(chunk, completion.result.tally)
        chunkSlots[chunk].completedAt = now
        // The mark names the reporting node (`CompletionRule` sets it to `completion.nodeID`).
        precondition(write.mark.nodeID == completion.nodeID, "the completion mark names the reporter")
        chunkSlots[chunk].completedBy = Int32(reporter)
        chunkSlots[chunk].completedAttempt = Int32(write.mark.attempt)
        chunkRowWritten(chunk)
        if row.status == .pending { trimPendingQueue() }

        if write.firstTime { jobUnfinished[job] -= 1 }
        jobs[job].completedIterations += write.addIterations
        if write.uncounted { jobUncountedCompletions[job] += 1 }
        setJobStatus(job, write.jobStatus)
        if write.jobCompletes {
            jobs[job].completedAt = now
            if write.writeResult { jobs[job].result = aggregate }
        }
        return .accepted(jobID: row.jobID, jobCompleted: write.jobCompletes)
    }

    /// `chunk(_:)` for a completion: the chunk looked for among the caller's claims first
    /// (`chunkHandle(_:heldBy:)`), so the chunk index is not waited on. Any caller gives the
    /// same row as `chunk(_:)`. The index's line for the id is still asked for (a hint): the
    /// simulation's observer looks the chunk up by id after the transaction
    /// (`ChunkLedger.handle`), and without the handler's probe before it that lookup took the
    /// miss instead (measured: its share went from 0.41 to 0.91 % of the samples).
    public func chunk(_ id: ChunkID, reportedBy caller: NodeCaller) -> ChunkRow? {
        chunkIndex.prefetchHome(id.raw)
        return chunkHandle(id, heldBy: caller).map { chunkRow($0) }
    }

    /// The handle of chunk `id`, looked for first in the running list of the node at
    /// `caller.handle` (ids recomputed from the claims' jobs, `chunkID(ofClaim:)`: no slot read),
    /// then in the chunk index. A completion's chunk is usually running on its reporter, whose
    /// list the handler asked for (`prepareForClaims`) before reading the body; the index's
    /// slot was a cache miss on every completion at 10,000 nodes (a third of `chunk(_:)`'s
    /// samples), followed by the chunk's slot. A claim in any node's list names its chunk by
    /// the chunk's own id, and ids are unique, so the handle found is the index's whatever the
    /// caller (another node's handle, a stale one): the caller is not checked, only bounded.
    @inline(__always) func chunkHandle(_ id: ChunkID, heldBy caller: NodeCaller) -> Int? {
        let node = caller.handle
        if node >= 0, node < nodeRunning.count {
            let count = nodeRunning[node].count
            var k = 0
            while k < count {
                let claim = nodeRunning[node][k]
                if chunkID(ofClaim: claim) == id { return claim.chunk }
                k += 1
            }
        }
        return chunkHandle(id)
    }
}
