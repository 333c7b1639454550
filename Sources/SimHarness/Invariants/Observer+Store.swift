import Engine
import JobSystem

/// The checks that run on every commit, from the store's change feed.
extension Observer {
    /// - Parameter changes: what the store's change feed reported for the last commit(s).
    mutating func checkStore(_ changes: [RowChange], store: borrowing EmbeddedStore) {
        guard !changes.isEmpty || !publishedNotifications.isEmpty else { return }
        // This commit's notifications are read below, then dropped (in place: no copy).
        defer { publishedNotifications.removeAll(keepingCapacity: true) }
        if let recovery = recoveryAt, recoveryWaiting == nil, now >= recovery {
            // What waited when the outage ended (captured at the first commit after it, so
            // leaving out what became pending since): the work the recovery must hand out.
            var waiting = Set<ChunkID>()
            for job in store.allJobs where job.status != .completed {
                for chunk in store.chunks(ofJob: job.id) where chunk.status == .pending {
                    if let since = chunks.pendingSince(chunk.id, store: store), since <= recovery { waiting.insert(chunk.id) }
                }
            }
            recoveryWaiting = waiting
        }
        // The notified chunk ids, read from the payloads at the first chunk made pending (most
        // commits make none pending: their payloads are neither parsed nor sorted).
        var notified: [ChunkID]? = nil
        for change in changes {
            switch change {
            case .chunk(let c):
                if c.to == .pending, notified == nil { notified = Self.chunkIDs(publishedNotifications) }
                checkChunk(c, store: store, notified: notified ?? [])
            case .job(let j): checkJob(j, store: store)
            case .node(let n):
                if let from = n.from, !from.canBecome(n.to) {
                    violate(.legalTransitions, "node \(n.id) \(from.rawValue) -> \(n.to.rawValue)")
                }
                if n.to == .offline, n.from != .offline { checkMarkedOffline(n.id, store: store) }
            }
        }
        if let recovery = recoveryAt, measures.fullAssignmentSeconds == nil, recoveryWaiting?.isEmpty == true {
            measures.fullAssignmentSeconds = (now - recovery).seconds
        }
        if now - lastConsistencyCheck >= .seconds(Int64(60)) {
            lastConsistencyCheck = now
            for problem in store.checkConsistency().prefix(3) { violate(.storeConsistency, problem) }
        }
    }

    /// The chunk ids that `pending_chunk` payloads spell exactly as `uuidString` does (36
    /// lowercase characters, hyphens at 8, 13, 18 and 23), sorted: a chunk was notified if
    /// and only if its id is among them. (Comparing each pending chunk's `uuidString` with the
    /// payloads made a string per chunk.)
    static func chunkIDs(_ payloads: [String]) -> [ChunkID] {
        var ids: [ChunkID] = []
        ids.reserveCapacity(payloads.count)
        for p in payloads {
            if let id = canonicalIdentifier(p) { ids.append(ChunkID(id)) }
        }
        ids.sort()
        return ids
    }

    /// The identifier `s` spells as `Identifier.uuidString` spells it, else nil: 36 bytes,
    /// hyphens at 8, 13, 18 and 23, lowercase hexadecimal digits elsewhere (the first 16 digits
    /// the high word, the last 16 the low one).
    static func canonicalIdentifier(_ s: String) -> Identifier? {
        var s = s
        return s.withUTF8 { b -> Identifier? in
            guard b.count == 36, b[8] == UInt8(ascii: "-"), b[13] == UInt8(ascii: "-"), b[18] == UInt8(ascii: "-"),
                b[23] == UInt8(ascii: "-")
            else { return nil }
            // Each digit's value, or 16 for a byte that is none: `seen` collects them all, so
            // one test at the end finds any non-digit.
            var high: UInt64 = 0, low: UInt64 = 0, seen: UInt64 = 0
            for i in 0..<8 { let d = hexDigit(b[i]); seen |= d; high = high << 4 | d }
            for i in 9..<13 { let d = hexDigit(b[i]); seen |= d; high = high << 4 | d }
            for i in 14..<18 { let d = hexDigit(b[i]); seen |= d; high = high << 4 | d }
            for i in 19..<23 { let d = hexDigit(b[i]); seen |= d; low = low << 4 | d }
            for i in 24..<36 { let d = hexDigit(b[i]); seen |= d; low = low << 4 | d }
            return seen & 16 == 0 ? Identifier(high: high, low: low) : nil
        }
    }

    /// The value of a lowercase hexadecimal digit, 16 for any other byte.
    @inline(__always)
    static func hexDigit(_ c: UInt8) -> UInt64 {
        let digit = c &- UInt8(ascii: "0")
        if digit < 10 { return UInt64(digit) }
        let letter = c &- UInt8(ascii: "a")
        return letter < 6 ? UInt64(letter) + 10 : 16
    }

    /// - Parameter notified: the chunk ids notified on `pending_chunk` with this commit, sorted.
    mutating func checkChunk(_ c: ChunkChange, store: borrowing EmbeddedStore, notified: [ChunkID]) {
        if let from = c.from {
            if !from.canBecome(c.to) && !(from == .running && c.to == .running) {
                violate(.legalTransitions, "chunk \(c.id) \(from.rawValue) -> \(c.to.rawValue)")
            }
            if from == .running && c.to == .running {
                violate(.singleAssignee, "chunk \(c.id) claimed again (attempt \(c.attempt)) from \(c.fromNode.map { "\($0)" } ?? "?") to \(c.toNode.map { "\($0)" } ?? "?") while its claim was live")
            }
            if from == .completed {
                violate(.legalTransitions, "chunk \(c.id) left completed for \(c.to.rawValue)")
            }
        }
        switch c.to {
        case .pending:
            chunks.markPending(chunks.handle(c.id, store: store), since: now)
            if !notified.sortedContains(c.id) {
                violate(.pendingNotified, "chunk \(c.id) became pending without a pending_chunk notification")
            }
        case .running:
            recoveryWaiting?.remove(c.id)
            let (claims, pendingSince) = chunks.markClaimed(chunks.handle(c.id, store: store), at: c.at)
            if c.attempt != claims {
                violate(.singleAssignee, "chunk \(c.id): its claim number \(claims) carries attempt \(c.attempt); a late result of one claim could pass for another's")
            }
            if let since = pendingSince {
                let ms = UInt64(max(0, (now - since).nanoseconds / 1_000_000))
                measures.assignmentDelayMs.record(ms)
                if expect.assignmentDelayP99Seconds != nil, since >= expect.assignmentDelayFrom { promptDelaysMs.append(ms) }
            }
        case .completed:
            recoveryWaiting?.remove(c.id)
            chunks.clearTime(chunks.handle(c.id, store: store))
            // The job's tally after this change, kept by the job's handle; its fields read in
            // place (`jobProgress`: no `JobRow` copied).
            guard let job = store.jobProgress(c.jobID) else {
                if c.from != .completed {
                    measures.chunksCompleted += 1
                    jobTally[c.jobID, default: 0] += c.iterations
                }
                return
            }
            if job.handle >= jobTallyByHandle.count {
                jobTallyByHandle.append(contentsOf: repeatElement(0, count: job.handle + 1 - jobTallyByHandle.count))
            }
            if c.from != .completed {
                measures.chunksCompleted += 1
                jobTallyByHandle[job.handle] += c.iterations
            }
            let tally = jobTallyByHandle[job.handle]
            if job.status == .pending && tally > 0 {
                violate(.progressAccounting, "job \(c.jobID) still pending with \(tally) of \(job.totalIterations) iterations completed")
            }
            if job.completedIterations != tally {
                violate(.progressAccounting, "job \(c.jobID): completed_iterations \(job.completedIterations), completed chunks hold \(tally)")
            } else if job.completedIterations > job.totalIterations {
                violate(.progressAccounting, "job \(c.jobID): completed_iterations \(job.completedIterations) > total \(job.totalIterations)")
            }
        }
    }

    mutating func checkJob(_ j: JobChange, store: borrowing EmbeddedStore) {
        if let from = j.from, !from.canBecome(j.to) {
            violate(.legalTransitions, "job \(j.id) \(from.rawValue) -> \(j.to.rawValue)")
        }
        if j.from == nil { jobCreatedAt[j.id] = now }
        guard j.to == .completed, j.from != .completed, let job = store.job(j.id) else { return }
        measures.jobsCompleted += 1
        if let created = jobCreatedAt[j.id] {
            measures.jobLatencyMs.record(UInt64(max(0, (now - created).nanoseconds / 1_000_000)))
        }
        guard let result = job.result else {
            violate(.resultAggregation, "job \(job.id) completed with no result")
            return
        }
        let aggregate = SimulationResult.aggregate(store.chunkResults(ofJob: j.id))
        if aggregate != result {
            violate(.resultAggregation, "job \(job.id) result differs from the aggregate of its chunk results")
            return
        }
        if result.iterations != job.totalIterations {
            violate(.resultAggregation, "job \(job.id) result covers \(result.iterations) of \(job.totalIterations) iterations")
        }
        if verifyAllAtOnce, let reference = ReferenceResults.allAtOnce(job, store: store, compute: compute), reference != result {
            violate(.resultAggregation, "job \(job.id) result differs from running all iterations at once")
        }
    }

    /// Right after the offline marking ran: a node the store shows online must be one the
    /// scheduler would assign to, give or take one marking period. Also measures the
    /// node-seconds that nodes looked online without being schedulable while work waited.
    mutating func checkOnlineAgreement(store: borrowing EmbeddedStore, now: Timestamp) {
        let schedulable = now - profile.sentinelOnlineWindow
        let bound = schedulable - profile.offlineMarkingPeriod
        let waiting = store.pendingChunkCount() > 0
        // Node by node, in `allNodes`' order, from the store's dense entries (no row built per
        // node); the names of the nodes that break the rule are read after the walk, in order.
        var late: [(handle: Int, seen: Timestamp)] = []
        store.forEachNodeSighting { handle, status, seen in
            guard status == .online, let seen, seen <= schedulable else { return }
            if waiting { measures.onlineButIdleNodeSeconds += profile.offlineMarkingPeriod.micros / 1_000_000 }
            if seen < bound { late.append((handle, seen)) }
        }
        for (handle, seen) in late {
            violate(.onlineAgreement, "\(store.nodeName(handle: handle)) shows online, last seen \((now - seen).seconds)s ago; the scheduler's window is \(profile.sentinelOnlineWindow.seconds)s")
        }
    }

    /// End of run: liveness, and a last consistency check.
    mutating func finish(store: borrowing EmbeddedStore) {
        checkExpectations()
        for problem in store.checkConsistency().prefix(3) { violate(.storeConsistency, problem) }
        if let bound = recoveryBoundSeconds, let at = recoveryAt, now >= at {
            if let took = measures.fullAssignmentSeconds {
                if took > bound { violate(.recoveredInTime, "waiting work assigned \(took)s after the recovery at \(at), bound \(bound)s") }
            } else {
                violate(.recoveredInTime, "work still waiting since the recovery at \(at) (bound \(bound)s)")
            }
        }
        if let deadline = livenessDeadline, now >= deadline {
            let open = store.allJobs.filter { $0.status != .completed }
            if let first = open.first {
                violate(.jobsComplete, "\(open.count) job(s) not completed by \(deadline), e.g. \(first.id) at \(first.completedIterations)/\(first.totalIterations)")
            }
        }
    }
}

extension Array where Element: Comparable {
    func sortedContains(_ x: Element) -> Bool {
        var lo = 0, hi = count
        while lo < hi {
            let mid = (lo + hi) / 2
            if self[mid] < x { lo = mid + 1 } else { hi = mid }
        }
        return lo < count && self[lo] == x
    }
}
