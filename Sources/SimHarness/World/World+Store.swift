import Engine
import System

/// The store's server: runs each request and statement at the instant it arrives (one
/// transaction each), then publishes what committed: NOTIFYs to the listening sessions and
/// the realtime feed of assignments to their nodes. It also runs pg_cron.
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

    mutating func storeReceive(_ e: Delivered<WorldEvent>) {
        let now = self.now(storeActor)
        switch e.payload {
        case .api(let id, let request):
            if request.path == "/node-heartbeat" && e.from != environment {
                capturedHeartbeat = request  // what an eavesdropper on the path keeps: the latest
            }
            let response = handlers.handle(request, store: &store, now: now)
            observer.noteAPI(request, response, fromAttacker: e.from == environment)
            publishCommitted()
            reply(to: e.from, .apiReply(id: id, response))
        case .storeCall(let id, let call):
            let result = call.perform(on: &store, now: now)
            observer.noteStoreCall(call, result, store: store, storeNow: now)
            if case .applied(let assignments) = result {
                for a in assignments { pushAssignment(a) }
            }
            publishCommitted()
            reply(to: e.from, .storeReply(id: id, result))
        case .listen:
            if !listeners.contains(e.from) { listeners.append(e.from) }
            reply(to: e.from, .listenAck)
        case .cron(let job):
            runCron(job, now: now)
            publishCommitted()
            armCron(job)
        case .control(let action):
            apply(action, on: .store)
        default:
            preconditionFailure("store got \(e.payload.kind)")
        }
        let changes = store.takeChanges()
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
                    claimedBefore: now - p.claimTimeout, renewedSince: p.claimRenewalWindow.map { now - $0 },
                    liveClaimedBefore: now - p.liveClaimLimit, now: now)
                observer.noteReclaimed(reaped, by: "reaper", storeNow: now)
                let computing = reaped.map { id in
                    store.chunk(id)?.lastNodeID.flatMap { nodeIndex(of: $0) }.map { i in
                        nodes[i].agent?.runningChunks.contains { $0.chunkID == id } ?? false
                    } ?? false
                }
                observer.checkLiveClaims(reaped, computing: computing, store: store, storeNow: now)
            case .markNodesOffline:
                _ = try store.markNodesOffline(lastSeenBefore: now - p.offlineMarkingAge, now: now)
                observer.checkOnlineAgreement(store: store, now: now)
            case .cleanupStaleData:
                _ = try store.cleanupStaleData(
                    unclaimedBefore: now - p.unclaimedNodeTTL, offlineBefore: now - p.offlineNodeTTL,
                    unusedConfigBefore: now - p.unusedConfigTTL, now: now)
            }
        } catch {
            observer.noteStoreError(error)
        }
    }

    /// NOTIFY delivery: after commit, to every listening session, in commit order; a session
    /// that is gone misses them (PostgreSQL keeps no backlog for absent listeners).
    mutating func publishCommitted() {
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

    /// The realtime push: the change feed tells the node's subscription.
    mutating func pushAssignment(_ a: ChunkAssignment) {
        guard let actor = subscriptions[a.nodeID] else {
            observer.measures.assignmentsToUnsubscribed += 1
            return
        }
        sim.send(from: storeActor, to: actor, .assignment(a))
    }
}
