import Engine
import JobSystem

/// The checks that run on every commit, from the store's change feed.
extension Observer {
    /// - Parameter changes: what the store's change feed reported for the last commit(s).
    mutating func checkStore(_ changes: [RowChange], store: borrowing EmbeddedStore) {
        guard !changes.isEmpty || !publishedNotifications.isEmpty else { return }
        var notified = publishedNotifications
        publishedNotifications.removeAll(keepingCapacity: true)
        if let recovery = recoveryAt, recoveryWaiting == nil, now >= recovery {
            // What waited when the outage ended (captured at the first commit after it, so
            // leaving out what became pending since): the work the recovery must hand out.
            var waiting = Set<ChunkID>()
            for job in store.allJobs where job.status != .completed {
                for chunk in store.chunks(ofJob: job.id) where chunk.status == .pending {
                    if let since = chunkPendingSince[chunk.id], since <= recovery { waiting.insert(chunk.id) }
                }
            }
            recoveryWaiting = waiting
        }
        notified.sort()
        for change in changes {
            switch change {
            case .chunk(let c): checkChunk(c, store: store, notified: notified)
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

    mutating func checkChunk(_ c: ChunkChange, store: borrowing EmbeddedStore, notified: [String]) {
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
            chunkClaimedAt[c.id] = nil
            chunkPendingSince[c.id] = now
            if !notified.sortedContains(c.id.uuidString) {
                violate(.pendingNotified, "chunk \(c.id) became pending without a pending_chunk notification")
            }
        case .running:
            recoveryWaiting?.remove(c.id)
            chunkClaimedAt[c.id] = c.at
            let claims = chunkClaims[c.id, default: 0] + 1
            chunkClaims[c.id] = claims
            if c.attempt != claims {
                violate(.singleAssignee, "chunk \(c.id): its claim number \(claims) carries attempt \(c.attempt); a late result of one claim could pass for another's")
            }
            if let since = chunkPendingSince.removeValue(forKey: c.id) {
                let ms = UInt64(max(0, (now - since).nanoseconds / 1_000_000))
                measures.assignmentDelayMs.record(ms)
                if expect.assignmentDelayP99Seconds != nil, since >= expect.assignmentDelayFrom { promptDelaysMs.append(ms) }
            }
        case .completed:
            recoveryWaiting?.remove(c.id)
            chunkClaimedAt[c.id] = nil
            chunkPendingSince[c.id] = nil
            if c.from != .completed {
                measures.chunksCompleted += 1
                jobTally[c.jobID, default: 0] += c.iterations
            }
            guard let job = store.job(c.jobID) else { return }
            let tally = jobTally[c.jobID, default: 0]
            if job.status == .pending && tally > 0 {
                violate(.progressAccounting, "job \(job.id) still pending with \(tally) of \(job.totalIterations) iterations completed")
            }
            if job.completedIterations != tally {
                violate(.progressAccounting, "job \(job.id): completed_iterations \(job.completedIterations), completed chunks hold \(tally)")
            } else if job.completedIterations > job.totalIterations {
                violate(.progressAccounting, "job \(job.id): completed_iterations \(job.completedIterations) > total \(job.totalIterations)")
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
        let chunks = store.chunks(ofJob: j.id)
        guard let result = job.result else {
            violate(.resultAggregation, "job \(job.id) completed with no result")
            return
        }
        let aggregate = SimulationResult.aggregate(chunks.compactMap(\.result))
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
        for node in store.allNodes where node.status == .online {
            guard let seen = node.lastSeenAt, seen <= schedulable else { continue }
            if waiting { measures.onlineButIdleNodeSeconds += profile.offlineMarkingPeriod.micros / 1_000_000 }
            if seen < bound {
                violate(.onlineAgreement, "\(node.name) shows online, last seen \((now - seen).seconds)s ago; the scheduler's window is \(profile.sentinelOnlineWindow.seconds)s")
            }
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
