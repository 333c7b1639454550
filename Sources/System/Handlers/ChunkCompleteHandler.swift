/// `POST /chunk-complete` (node): `{chunkId, attempt, result: {...}}` →
/// `{success: true, jobComplete, duplicate}`.
extension RequestHandlers {
    /// Validates the result against the chunk, then records it (`JobStore.completeChunk`) under
    /// the profile's `completionRules`.
    ///
    /// The result must decode (`ChunkResult(json:)`, 400 `invalidResult`) and fit the chunk
    /// (400 `resultMismatch`): its iterations equal the chunk's, its fight length the config's,
    /// and no iteration deals more than the config's `maxIterationDamage`.
    /// Decoding already proves its statistics sound: the tally is validated on the way in
    /// (n ≥ 1, min ≤ max, n·min ≤ Σx ≤ n·max, n·Σx² ≥ (Σx)²), so every statistic is finite with
    /// min ≤ mean ≤ max and a variance ≥ 0; they are not recomputed here (each costs a 256-bit
    /// division, on every completion). `attempt` is optional in the body (today's
    /// nodes send none; under `requireClaim` a missing attempt holds no claim).
    ///
    /// A replayed signature is refused (401 `replayed_request`) unless the request already took
    /// effect, see `replayedCompletion`.
    ///
    /// Outcomes: accepted → 200; a duplicate re-send → 200 with `duplicate: true` (the node may
    /// stop retrying); a stale claim or a chunk completed by another claim → 409, which tells the
    /// node to drop the result and not retry; under today's guard (`requireClaim` off) a chunk
    /// not running on the reporting node → 403, as today's handler answers.
    func chunkComplete<S: JobStore>(_ request: APIRequest, store: inout S, now: Timestamp) throws(APIError) -> APIResponse {
        // The caller's id is all a completion needs of the node: found as the heartbeat finds it
        // (`verifyNodeCaller`: the same checks, order and errors as `verifyNodeRow`), no row
        // copied. The whole `NodeRow` copied out of the store was a `memmove` of several cache
        // lines on every completion (0.6 % of `bench fleet` at 10,000 nodes), and its destroy.
        let (key, caller, replayed) = try verifyNodeCaller(request, store: &store, now: now)
        guard let key else { throw .signature(.unknownNode) }
        let node: NodeCaller
        if let caller {
            node = caller
        } else {
            guard let found = try Self.read({ () throws(StoreError) in try store.nodeCaller(publicKey: key) }) else {
                throw .signature(.unknownNode)
            }
            node = found
        }
        store.prepareForClaims(of: node)
        var rules = completionRules
        // An old node served in the migration window presents no attempt: today's guard.
        if servedUnsignedForMigration(request, now: now) { rules.requireClaim = false }
        let decoded: (chunkID: ChunkID, attempt: Int?, result: ChunkResult)
        if case .chunkComplete(let chunkID, let attempt, let result, _)? = request.wire?.body {
            decoded = (chunkID, attempt, result)  // the typed wire: the value itself
        } else if let fast = NodeRequestBody.readChunkComplete(request.body) {
            decoded = fast
        } else {
            decoded = try Self.chunkCompleteBody(request.body)
        }
        let (chunkID, attempt, result) = decoded
        // Store reads on the hot route call the store directly: `read`'s closure captured the
        // store and copied the whole struct on every request.
        let found: ChunkRow?
        do { found = try store.chunk(chunkID, reportedBy: node) } catch { throw .store(error) }
        guard let chunk = found else { throw .store(.chunkNotFound(chunkID)) }
        if replayed {
            return try replayedCompletion(
                Completion(nodeID: node.id, chunkID: chunkID, attempt: attempt, result: result), chunk, store: &store, now: now,
                typed: request.wire != nil)
        }
        try checkResult(result, fits: chunk, store: store)

        let outcome: CompletionOutcome
        do {
            outcome = try store.completeChunk(
                Completion(nodeID: node.id, chunkID: chunkID, attempt: attempt, result: result), by: node, rules: rules)
        } catch {
            throw .store(error)
        }
        switch outcome {
        case .accepted(_, let jobCompleted):
            return Self.completionAnswer(jobComplete: jobCompleted, duplicate: false, typed: request.wire != nil)
        case .duplicate(let jobID):
            let done = try Self.read({ () throws(StoreError) in try store.job(jobID) })?.status == .completed
            if request.wire != nil { return Self.completionAnswer(jobComplete: done, duplicate: true, typed: true) }
            return .ok(["success": true, "jobComplete": .bool(done), "duplicate": true])
        case .alreadyCompleted:
            throw .chunkAlreadyCompleted(chunkID)
        case .staleClaim:
            throw .staleClaim(chunkID)
        case .notHeld:
            throw .chunkNotHeld(chunkID)
        }
    }

    /// `{duplicate, jobComplete, success: true}`, written directly (the canonical bytes of the tree).
    /// On the typed wire (`typed`), the value instead of the bytes.
    static func completionAnswer(jobComplete: Bool, duplicate: Bool, typed: Bool = false) -> APIResponse {
        if typed { return APIResponse(status: 200, wire: .completion(duplicate: duplicate, jobComplete: jobComplete)) }
        return APIResponse(status: 200, body: completionAnswerBytes(jobComplete: jobComplete, duplicate: duplicate))
    }

    /// One of four shared arrays (no allocation per completion, as the idle heartbeat's `{}`):
    /// a body is never written in place after it is answered, and an array is copied on write.
    static func completionAnswerBytes(jobComplete: Bool, duplicate: Bool) -> [UInt8] {
        switch (duplicate, jobComplete) {
        case (false, false): return completionAnswers.0
        case (false, true): return completionAnswers.1
        case (true, false): return completionAnswers.2
        case (true, true): return completionAnswers.3
        }
    }

    /// `writeCompletionAnswer` for (duplicate, jobComplete) = (false, false), (false, true),
    /// (true, false), (true, true).
    private static let completionAnswers = (
        writeCompletionAnswer(jobComplete: false, duplicate: false), writeCompletionAnswer(jobComplete: true, duplicate: false),
        writeCompletionAnswer(jobComplete: false, duplicate: true), writeCompletionAnswer(jobComplete: true, duplicate: true)
    )

    /// The answer's canonical bytes, written (what the four shared answers hold).
    static func writeCompletionAnswer(jobComplete: Bool, duplicate: Bool) -> [UInt8] {
        var w = CanonicalJSONWriter(capacity: 56)
        w.beginObject()
        w.key("duplicate"); w.bool(duplicate)
        w.key("jobComplete"); w.bool(jobComplete)
        w.key("success"); w.bool(true)
        w.endObject()
        return w.bytes
    }

    /// The `duplicate` flag of a body that is exactly one of `completionAnswer`'s layouts; nil
    /// for any other body, which the node then parses as JSON (giving the same flag for these).
    static func completionAnswerDuplicate(_ body: [UInt8]) -> Bool? {
        var r = CanonicalJSONReader(body)
        let duplicate: Bool
        if r.literal("{\"duplicate\":true,\"jobComplete\":") {
            duplicate = true
        } else if r.literal("{\"duplicate\":false,\"jobComplete\":") {
            duplicate = false
        } else {
            return nil
        }
        guard r.literal("true") || r.literal("false"), r.literal(",\"success\":true}"), r.atEnd else { return nil }
        return duplicate
    }

    /// The body read through the general parser (any layout; every error named).
    static func chunkCompleteBody(_ bytes: [UInt8]) throws(APIError) -> (chunkID: ChunkID, attempt: Int?, result: ChunkResult) {
        let body = try RequestBody(bytes)
        let chunkID = try body.uuid("chunkId", as: ChunkTag.self)
        let attempt = try body.optionalInt("attempt")
        let result: ChunkResult
        do { result = try ChunkResult(json: try body.object("result")) } catch let error as ResultDecodingError {
            throw .invalidResult(error)
        } catch let error as APIError {
            throw error
        } catch {
            throw .invalidResult(.inconsistent("\(error)"))
        }
        return (chunkID, attempt, result)
    }

    /// A chunk-complete whose signature was seen before. If the chunk is completed by this very
    /// completion (this node, this attempt), the request already took effect: the replay is
    /// answered with the original outcome (200, `duplicate: true`), which is what the node needs
    /// to hear when its first answer was lost and the network delivered a copy of the request.
    /// Anything else is refused as a replay (401 `replayed_request`) and changes nothing.
    ///
    /// The store is asked through `completeChunk` itself (the one place that decides what a
    /// duplicate is); on a completed chunk, with claims required (always so when signatures are
    /// checked), it writes nothing.
    private func replayedCompletion<S: JobStore>(
        _ completion: Completion, _ chunk: ChunkRow, store: inout S, now: Timestamp, typed: Bool
    ) throws(APIError) -> APIResponse {
        guard chunk.status == .completed, completionRules.requireClaim else { throw .signature(.replayed) }
        let outcome: CompletionOutcome
        do { outcome = try store.completeChunk(completion, rules: completionRules) } catch { throw .store(error) }
        guard case .duplicate(let jobID) = outcome else { throw .signature(.replayed) }
        let done = try Self.read({ () throws(StoreError) in try store.job(jobID) })?.status == .completed
        if typed { return Self.completionAnswer(jobComplete: done, duplicate: true, typed: true) }
        return .ok(["success": true, "jobComplete": .bool(done), "duplicate": true])
    }

    private func checkResult<S: JobStore>(_ result: ChunkResult, fits chunk: ChunkRow, store: S) throws(APIError) {
        guard result.iterations == chunk.iterations else {
            throw .resultMismatch("\(result.iterations) iterations reported, the chunk has \(chunk.iterations)")
        }
        let configRow: ConfigRow?
        do { configRow = try store.config(chunk.configHash) } catch { throw .store(error) }
        if let row = configRow, let config = row.resultBounds {
            guard config.fightLengthSeconds == result.fightLengthSeconds else {
                throw .resultMismatch(
                    "fight length \(result.fightLengthSeconds) s reported, the config's is \(config.fightLengthSeconds) s")
            }
            // What no iteration of this config can deal: a forged or broken result. Also what
            // keeps the job's exact sums from overflowing (n·max² within 128 bits).
            let most = config.maxIterationDamage
            guard result.tally.maxDamage <= most else {
                throw .resultMismatch("an iteration dealt \(result.tally.maxDamage) damage, the config allows at most \(most)")
            }
        }
    }
}
