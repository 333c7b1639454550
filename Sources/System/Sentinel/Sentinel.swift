/// The sentinel's scheduler as a state machine: inputs in, effects out, no I/O of its own.
/// The simulator and the production runner feed it the same inputs and perform its effects,
/// so the very same code schedules in both worlds.
///
/// The loop of the seeds (`scheduler/mod.rs`): LISTEN `pending_chunk` with a 30 s timeout;
/// on a notification wait 50 ms (debounce) and pass; on the timeout pass, reclaim (today's
/// profile only) and record gauges. As a timer with three modes, as the fleet workload
/// specifies: *periodic* (the fallback, due `fallbackPeriod` after the last wake; a
/// notification cancels it for a *debounce* wake), *debounce* and *rewake* (notifications are
/// ignored since a wake is at most `debounce` away). A pass that leaves more than a batch
/// pending, or whose guarded apply refused planned rows, rewakes after `debounce`
/// (`Improvement.rewakeAfterBacklog`; today's sentinel takes one batch per wake).
///
/// A pass is a sequence of store calls, each answered by a later input, so that other clients
/// (another sentinel, the reaper, completions) interleave with it exactly as they would with
/// real round trips. Everything that matters lives in the store: a crashed sentinel restarts
/// from nothing but its configuration and the guild filters it rebuilds.
public struct Sentinel: Sendable {
    public enum Input: Sendable, Equatable {
        /// Boot: LISTEN and arm the fallback.
        case start
        /// The LISTEN connection is (re)established.
        case listening
        /// The LISTEN connection dropped (store restart, network): notifications are lost
        /// until `listening`.
        case listenLost
        case notification(StoreNotification)
        case wakeTimer
        case storeReply(callID: UInt64, StoreReply)
        case guild(GuildEvent)
    }

    public enum Effect: Sendable, Equatable {
        case listen(channel: String)
        /// Replace the single wake timer.
        case setWakeTimer(after: Interval)
        case call(id: UInt64, StoreCall)
    }

    public enum WakeMode: String, Sendable {
        case periodic, debounce, rewake
        /// A store call is out; the timer is its timeout.
        case awaitingStore
    }

    enum Step: Sendable, Equatable {
        case idle
        case snapshot
        case apply(morePending: Bool, planned: Int)
        case reclaim(morePending: Bool)
        case gauges(morePending: Bool)
    }

    public static let channel = "pending_chunk"

    public let profile: Profile
    /// How long a store call may take before the sentinel gives up on it.
    public var callTimeout: Interval = .seconds(10)
    public private(set) var mode: WakeMode = .periodic
    var step: Step = .idle
    /// Whether the pass in progress was woken by the fallback timer (then it also reclaims
    /// and records gauges).
    var periodicPass = false
    var notifiedDuringPass = false
    var outstandingCall: UInt64? = nil
    var nextCallID: UInt64 = 1
    var passStartedAt: Timestamp? = nil
    public private(set) var isListening = false
    /// /ready: true once LISTEN is up and a pass has completed.
    public private(set) var isReady = false
    public private(set) var metrics = SentinelMetrics()
    public private(set) var guilds: GuildDirectory

    public init(profile: Profile) {
        self.profile = profile
        self.guilds = GuildDirectory(growsFilters: profile.has(.growGuildFilters))
    }

    public mutating func handle(_ input: Input, now: Timestamp, effects: inout [Effect]) {
        switch input {
        case .start:
            effects.append(.listen(channel: Self.channel))
            arm(.periodic, after: profile.fallbackPeriod, &effects)
        case .listening:
            isListening = true
            // Notifications may have been missed while not listening: look now.
            if step == .idle && mode == .periodic { arm(.debounce, after: profile.debounce, &effects) }
        case .listenLost:
            isListening = false
            effects.append(.listen(channel: Self.channel))
        case .notification(let n):
            guard n.channel == Self.channel else { return }
            metrics.notificationsReceived += 1
            if step != .idle {
                notifiedDuringPass = true
            } else if mode == .periodic {
                arm(.debounce, after: profile.debounce, &effects)
            }
        case .wakeTimer:
            wake(now: now, &effects)
        case .storeReply(let id, let reply):
            guard id == outstandingCall else { return }  // a reply to an abandoned call
            outstandingCall = nil
            advance(reply, now: now, &effects)
        case .guild(let event):
            guilds.apply(event)
        }
    }

    mutating func arm(_ m: WakeMode, after d: Interval, _ effects: inout [Effect]) {
        mode = m
        effects.append(.setWakeTimer(after: d))
    }

    mutating func wake(now: Timestamp, _ effects: inout [Effect]) {
        if mode == .awaitingStore {
            // The store did not answer in time: abandon the pass, fall back to the timer.
            metrics.abandonedCalls += 1
            outstandingCall = nil
            finishPass(morePending: false, now: now, &effects)
            return
        }
        periodicPass = mode == .periodic
        notifiedDuringPass = false
        passStartedAt = now
        step = .snapshot
        call(.snapshot(limit: profile.assignmentBatch, onlineWindow: profile.sentinelOnlineWindow), &effects)
    }

    mutating func call(_ c: StoreCall, _ effects: inout [Effect]) {
        let id = nextCallID
        nextCallID += 1
        outstandingCall = id
        effects.append(.call(id: id, c))
        arm(.awaitingStore, after: callTimeout, &effects)
    }

    mutating func advance(_ reply: StoreReply, now: Timestamp, _ effects: inout [Effect]) {
        if case .failed = reply {
            metrics.storeErrors += 1
            finishPass(morePending: false, now: now, &effects)
            return
        }
        switch (step, reply) {
        case (.snapshot, .snapshot(let snapshot)):
            let plan = AssignmentPlanner.plan(
                snapshot, guilds: guilds, avoidReapedNode: profile.has(.avoidReapedNode))
            if plan.isEmpty {
                afterAssignment(morePending: snapshot.morePending, now: now, &effects)
            } else {
                step = .apply(morePending: snapshot.morePending, planned: plan.count)
                let guarded = !profile.has(.unguardedAssignment)
                call(.apply(plan: plan, guarded: guarded, onlineWindow: guarded ? profile.sentinelOnlineWindow : nil), &effects)
            }
        case (.apply(let more, let planned), .applied(let done)):
            metrics.chunksAssigned += done.count
            metrics.assignmentsSkipped += planned - done.count
            if let start = passStartedAt { metrics.lastPassLatency = now - start }
            // Rows the store refused (the snapshot was stale: another scheduler took the chunk
            // or filled the node) leave chunks pending that may fit elsewhere: look again soon,
            // as after a backlog, instead of at the fallback 30 s later.
            afterAssignment(morePending: more || done.count < planned, now: now, &effects)
        case (.reclaim(let more), .reclaimed(let ids)):
            metrics.chunksReclaimed += ids.count
            step = .gauges(morePending: more)
            call(.gauges(onlineWindow: profile.sentinelOnlineWindow), &effects)
        case (.gauges(let more), .gauges(let g)):
            metrics.gauges = g
            finishPass(morePending: more, now: now, &effects)
        default:
            // A reply that does not fit the step: a bug in the driver, never silently ignored.
            preconditionFailure("sentinel got \(reply) in step \(step)")
        }
    }

    /// After the assignment part of a pass: the fallback pass goes on to reclaim and gauges.
    mutating func afterAssignment(morePending: Bool, now: Timestamp, _ effects: inout [Effect]) {
        guard periodicPass else {
            finishPass(morePending: morePending, now: now, &effects)
            return
        }
        if profile.has(.competingReclaim) {
            step = .reclaim(morePending: morePending)
            call(.reclaimSilent(silence: profile.legacyReclaimSilence), &effects)
        } else {
            step = .gauges(morePending: morePending)
            call(.gauges(onlineWindow: profile.sentinelOnlineWindow), &effects)
        }
    }

    mutating func finishPass(morePending: Bool, now: Timestamp, _ effects: inout [Effect]) {
        step = .idle
        metrics.passes += 1
        metrics.lastPassAt = now
        if isListening {
            isReady = true
        } else {
            // The LISTEN was lost (a store restart) and its re-issue may have gone to a server
            // that was down: ask again after every pass until it is acknowledged.
            effects.append(.listen(channel: Self.channel))
        }
        if morePending && profile.has(.rewakeAfterBacklog) {
            arm(.rewake, after: profile.debounce, &effects)
        } else if notifiedDuringPass {
            arm(.debounce, after: profile.debounce, &effects)
        } else {
            arm(.periodic, after: profile.fallbackPeriod, &effects)
        }
    }
}
