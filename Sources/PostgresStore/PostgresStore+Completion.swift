import JobSystem

/// chunk-complete's transaction.
extension PostgresStore {
    /// READ COMMITTED with row locks: the chunk (`FOR UPDATE`), then its job (`FOR UPDATE`),
    /// then the job's unfinished count (every completion of the job holds the job's lock while
    /// counting, so counts never interleave). `CompletionRule.decide` runs on those rows, as in
    /// the embedded store; this writes its decision. The aggregate is computed here, in Swift,
    /// from the chunks' results in index order (exact integer sums that SQL would not keep).
    /// A completion racing the reaper: the reaper skips a locked chunk (`SKIP LOCKED`), and a
    /// completion that waited for the reaper's lock re-reads the chunk as pending with
    /// `last_node_id` = its node, a late result the rule accepts.
    public mutating func completeChunk(_ completion: Completion, rules: CompletionRules) throws(StoreError) -> CompletionOutcome {
        try db.transaction(.readCommitted) { (db: PGConnection) throws(StoreError) -> CompletionOutcome in
            guard let locked = try db.run(
                "SELECT \(Self.chunkColumns) FROM jobs_chunks WHERE id = $1 FOR UPDATE", [completion.chunkID.uuidString]
            ).first else { throw .chunkNotFound(completion.chunkID) }
            let chunk = try Self.chunk(locked)
            guard !(try db.run("SELECT 1 FROM nodes WHERE id = $1", [completion.nodeID.uuidString])).isEmpty else {
                throw .nodeNotFound
            }
            let jobStatus: JobStatus = try db.run(
                "SELECT status FROM jobs WHERE id = $1 FOR UPDATE", [chunk.jobID.uuidString]).first!.status(0)
            let unfinished = try db.run(
                "SELECT count(*) FROM jobs_chunks WHERE job_id = $1 AND status <> 'completed'", [chunk.jobID.uuidString]
            ).first!.int(0)
            let write: CompletionRule.Write
            switch try CompletionRule.decide(
                completion, chunk: chunk, completedBy: try Self.mark(locked), jobStatus: jobStatus, unfinished: unfinished,
                rules: rules)
            {
            case .answer(let outcome): return outcome
            case .record(let w): write = w
            }
            try db.run("""
                UPDATE jobs_chunks SET status = 'completed', result = $2::jsonb, completed_at = now(), completed_by = $3,
                    completed_attempt = $4
                WHERE id = $1
                """, [chunk.id.uuidString, completion.result.json.canonicalString, write.mark.nodeID.uuidString,
                      String(write.mark.attempt)])
            try db.run("""
                UPDATE jobs SET status = $2, completed_iterations = completed_iterations + $3,
                    completed_at = CASE WHEN $4::boolean THEN now() ELSE completed_at END
                WHERE id = $1
                """, [chunk.jobID.uuidString, write.jobStatus.rawValue, String(write.addIterations),
                      PGParam.bool(write.jobCompletes)])
            if write.writeResult {
                var results: [ChunkResult] = []
                for r in try db.run(
                    "SELECT result::text FROM jobs_chunks WHERE job_id = $1 AND result IS NOT NULL ORDER BY chunk_index",
                    [chunk.jobID.uuidString]).all {
                    results.append(try Self.chunkResult(try r.string(0)))
                }
                // A job never completes without its result: an aggregate that overflows rolls the
                // whole completion back, as the embedded store refuses it before writing.
                guard let aggregate = SimulationResult.aggregate(results) else {
                    throw .illegalTransition("job \(chunk.jobID) cannot complete: its chunk results do not aggregate (overflow)")
                }
                try db.run("UPDATE jobs SET result = $2::jsonb WHERE id = $1", [
                    chunk.jobID.uuidString, aggregate.json.canonicalString,
                ])
            }
            return .accepted(jobID: chunk.jobID, jobCompleted: write.jobCompletes)
        }
    }
}
