import Engine
import JobSystem

/// The store's server: runs each transaction and statement at the instant it arrives (the API
/// server's requests, World+APIServer.swift; the sentinels' calls), then publishes what
/// committed: NOTIFYs to the listening sessions and the change feed of assignments to the API
/// server, which pushes them to their nodes' channels. It also runs pg_cron.
extension World {
    mutating func bootStore() {
        listeners.removeAll()
        cronHandles.removeAll()
        for job in CronJob.allCases { armCron(job) }
    }

    func cronPeriod(_ job: CronJob) -> Interval {
        switch job {
        case .reapStaleChunks: return config.profile.reaperPeriod
        case .markNodesOffline: return config.profile.offlineMarkingPeriod
        case .cleanupStaleData: return config.profile.cleanupPeriod
        }
    }

    mutating func armCron(_ job: CronJob) {
        cronHandles.append(sim.setTimer(for: storeActor, after: WorldTime.duration(cronPeriod(job)), .cron(job)))
    }

    /// Takes the event (`consuming`): a transaction's request moves into `runTransaction`.
    mutating func storeReceive(_ e: consuming WorldDelivery) {
        syncStoreClock()
        let now = store.now
        let from = e.from
        switch e.takePayload() {
        case .transaction(let txn, let connection, let request):
            runTransaction(txn, connection: connection, request)
        case .statement(let txn, _, let request, let pending):
            resumeTransaction(txn, request, pending)
        case .storeCall(let id, let call):
            let result = call.perform(on: &store)
            observer.noteStoreCall(call, result, store: store, storeNow: now)
            if case .apply(let plan, _, _) = call, case .applied(let done) = result,
                let s = sentinels.firstIndex(where: { $0.actor == from })
            {
                observer.noteApplied(bySentinel: s, of: sentinels.count, planned: plan.count, applied: done.count)
            }
            if case .reclaimed(let ids) = result { countFalseReclaims(ids) }
            if case .applied(let assignments) = result, !assignments.isEmpty {
                // The change feed to the API server (its LISTEN), which pushes to the channels.
                replyToAPIServer(.committedAssignments(assignments))
            }
            publishCommitted()
            reply(to: from, .storeReply(id: id, result))
        case .listen:
            if !listeners.contains(from) { listeners.append(from) }
            reply(to: from, .listenAck)
        case .cron(let job):
            runCron(job, now: now)
            publishCommitted()
            armCron(job)
        case .control(let action):
            apply(action, on: .store)
        case let other:
            preconditionFailure("store got \(other.kind)")
        }
        let changes = store.takeChanges()
        noteDecisions(changes)
        observer.checkStore(changes, store: store)
    }

    /// Answers travel back over the network, late by the store's injected slowness.
    mutating func reply(to actor: ActorID, _ payload: WorldEvent) {
        if storeSlowness > .zero {
            // A slow statement: the answer leaves late; the commit already happened.
            sim.deliver(from: storeActor, to: actor, after: storeSlowness + config.link.latency.draw(&sim.rngs[Int(storeActor.index)]), payload)
        } else {
            sim.send(from: storeActor, to: actor, payload)
        }
    }

    mutating func runCron(_ job: CronJob, now: Timestamp) {
        let p = config.profile
        do {
            switch job {
            case .reapStaleChunks:
                let reaped = try store.reapStaleChunks(
                    claimTimeout: p.claimTimeout, renewalWindow: p.claimRenewalWindow, liveClaimLimit: p.liveClaimLimit)
                observer.noteReclaimed(reaped, by: "reaper", store: store, storeNow: now)
                countFalseReclaims(reaped)
                let computing = reaped.map { id in
                    store.chunk(id)?.lastNodeID.flatMap { nodeIndexByID[$0] }.map { i in
                        nodes[i].agent?.runningChunks.contains { $0.chunkID == id } ?? false
                    } ?? false
                }
                observer.checkLiveClaims(reaped, computing: computing, store: store, storeNow: now)
            case .markNodesOffline:
                _ = try store.markNodesOffline(silence: p.offlineMarkingAge)
                observer.checkOnlineAgreement(store: store, now: now)
            case .cleanupStaleData:
                _ = try store.cleanupStaleData(CleanupAges(
                    unclaimedNode: p.unclaimedNodeTTL, offlineNode: p.offlineNodeTTL, unusedConfig: p.unusedConfigTTL))
            }
        } catch {
            observer.noteStoreError(error)
        }
    }

    /// Counts the reclaimed chunks whose node was up, not hung, and still working on them
    /// (queued, computing or reporting the result: ground truth the store cannot see). Reads
    /// only: the run is the same with or without it.
    mutating func countFalseReclaims(_ ids: [ChunkID]) {
        for id in ids {
            guard let node = store.chunk(id)?.lastNodeID, let i = nodeIndexByID[node], nodes[i].isRunning, !nodes[i].hung,
                nodes[i].agent!.isWorking(on: id)
            else { continue }
            observer.measures.falseReclaims += 1
        }
    }

    /// NOTIFY delivery: after commit, to every listening session, in commit order; a session
    /// that is gone misses them (PostgreSQL keeps no backlog for absent listeners).
    mutating func publishCommitted() {
        // Nearly every transaction commits none (a heartbeat): then nothing is taken, noted or
        // sent (`notePublished` of an empty list notes nothing).
        guard store.hasNotifications else { return }
        let notes = store.takeNotifications()
        observer.notePublished(notes)
        guard !notes.isEmpty else { return }
        if listeners.isEmpty { observer.measures.notificationsUnheard += notes.count }
        for n in notes {
            for l in listeners {
                if notificationDropRate > 0 && sim.rngs[Int(storeActor.index)].bernoulli(notificationDropRate) {
                    observer.measures.notificationsDropped += 1
                    continue
                }
                sim.send(from: storeActor, to: l, .notify(n))
            }
        }
    }
}
