/// The decisions inside chunk-complete, as a pure function of the rows it reads. Both stores
/// call it: the embedded store on its arrays, PostgreSQL on the rows it locked (`SELECT … FOR
/// UPDATE` of the chunk, then of its job), so who may complete, late results, duplicates and
/// exactly-once counting are written once.
public enum CompletionRule {
    /// What the store writes when it accepts a completion.
    public struct Write: Sendable, Equatable {
        /// The chunk moves to completed now (false: a re-completion under today's rules, which
        /// rewrites the result and `completed_at` but counts nothing).
        public var firstTime: Bool
        /// The chunk was running: its node's backlog drops.
        public var leavesRunning: Bool
        /// Added to `jobs.completed_iterations` (0 unless first time and `countProgress`).
        public var addIterations: Int
        /// An accepted first completion that did not count progress (today's bug 2).
        public var uncounted: Bool
        /// The job's status after the write.
        public var jobStatus: JobStatus
        /// No chunk of the job is left: `completed_at` is set, and with `writeResult` the
        /// job's `result` becomes the aggregate of its chunks' results in index order.
        public var jobCompletes: Bool
        public var writeResult: Bool
        /// Who completed it, remembered to tell a duplicate re-send from another claim.
        public var mark: CompletionMark
    }

    public enum Decision: Sendable, Equatable {
        /// Nothing changes; answer this.
        case answer(CompletionOutcome)
        /// Write this, then answer `.accepted(jobID:, jobCompleted: write.jobCompletes)`.
        case record(Write)
    }

    /// Decides a completion.
    ///
    /// With `rules.requireClaim` (the fix), in this order:
    /// - the chunk is completed: `.duplicate` if this node's completion with this attempt is the
    ///   one stored (a retry or duplicated message), else `.alreadyCompleted`;
    /// - the node holds the latest claim, i.e. `attempt` equals the chunk's and either the chunk
    ///   runs on this node, or it is pending with `last_node_id` = this node (its claim was
    ///   reaped or reclaimed but not yet given to anyone else: its late result is accepted,
    ///   results are deterministic and it saves the rerun): recorded;
    /// - otherwise (`attempt` missing or old, or another node holds the chunk): `.staleClaim`.
    ///
    /// Without `requireClaim`, today's handler: `UPDATE … WHERE id = $chunk AND node_id = $node
    /// AND status = 'running'`; when that matches nothing, an already completed chunk is answered
    /// as an idempotent success (whoever completed it), anything else (another node holds it, or
    /// it went back to pending) is `.notHeld`, today's 403. Today's nodes present no attempt, so
    /// the node alone decides: a late result after a reap is refused, even when nobody else has
    /// the chunk yet. (That a pending chunk also gets the 403 is an inference: today's code
    /// answers 403 for "another node holds it" and has no other branch.)
    ///
    /// - Parameters:
    ///   - chunk: the chunk's row as locked.
    ///   - completedBy: who completed it, if it is completed.
    ///   - jobStatus: the job's status as locked.
    ///   - unfinished: the job's chunks not completed, this one included if it is not.
    /// - Throws: `.illegalTransition` if the write would break a status machine.
    public static func decide(
        _ completion: Completion, chunk: ChunkRow, completedBy: CompletionMark?, jobStatus: JobStatus,
        unfinished: Int, rules: CompletionRules
    ) throws(StoreError) -> Decision {
        let node = completion.nodeID
        if rules.requireClaim {
            if chunk.status == .completed {
                if let mark = completedBy, mark.nodeID == node, completion.attempt == mark.attempt {
                    return .answer(.duplicate(jobID: chunk.jobID))
                }
                return .answer(.alreadyCompleted(jobID: chunk.jobID))
            }
            let holds = chunk.nodeID == node || (chunk.status == .pending && chunk.nodeID == nil && chunk.lastNodeID == node)
            guard holds, completion.attempt == chunk.attempt else { return .answer(.staleClaim(jobID: chunk.jobID)) }
        } else {
            if chunk.status == .completed { return .answer(.duplicate(jobID: chunk.jobID)) }
            guard chunk.status == .running, chunk.nodeID == node else { return .answer(.notHeld(jobID: chunk.jobID)) }
        }
        let firstTime = chunk.status != .completed
        let unfinishedAfter = unfinished - (firstTime ? 1 : 0)
        let jobTarget: JobStatus = unfinishedAfter == 0 ? .completed : (jobStatus == .pending ? .running : jobStatus)
        guard chunk.status == .completed || chunk.status.canBecome(.completed) else {
            throw .illegalTransition("chunk \(chunk.id) \(chunk.status.rawValue) → completed")
        }
        guard jobStatus == jobTarget || jobStatus.canBecome(jobTarget) else {
            throw .illegalTransition("job \(chunk.jobID) \(jobStatus.rawValue) → \(jobTarget.rawValue)")
        }
        return .record(Write(
            firstTime: firstTime, leavesRunning: chunk.status == .running,
            addIterations: firstTime && rules.countProgress ? chunk.iterations : 0,
            uncounted: firstTime && !rules.countProgress, jobStatus: jobTarget, jobCompletes: unfinishedAfter == 0,
            writeResult: unfinishedAfter == 0 && rules.aggregateResult,
            mark: CompletionMark(nodeID: node, attempt: completion.attempt ?? 0)))
    }
}

/// Who completed a chunk (columns `completed_by`, `completed_attempt`): not in the seeds'
/// schema, kept so that a re-send of an accepted result is told from another claim's.
public struct CompletionMark: Sendable, Equatable {
    public var nodeID: NodeID
    /// The attempt it presented (0 for today's nodes, which present none).
    public var attempt: Int
    public init(nodeID: NodeID, attempt: Int) {
        self.nodeID = nodeID
        self.attempt = attempt
    }
}
