import CPrefetch
import Engine
import JobSystem

/// Watches a run as it goes: checks every invariant at the moment the store commits, keeps the
/// measures, and remembers the last events so a violation can say what led to it.
///
/// It reads the store's change feed and the messages the world carries; it never changes the
/// run (no randomness drawn, nothing scheduled), so a run with or without it is the same run.
public struct Observer {
    public let profile: Profile
    /// How nodes compute, so the all-at-once reference is computed the same way.
    public let compute: ComputeChoice
    public private(set) var violations: [Violation] = []
    public var measures = Measures()
    /// Ground-truth guild membership (sorted members), for the eligibility check.
    public var guildMembers: [String: [UInt64]] = [:]
    /// Jobs must all be completed by this instant (set by a scenario that expects liveness).
    public var livenessDeadline: SimInstant? = nil
    /// Invariants a scenario switches off (e.g. liveness in a run that never heals).
    public var disabled: Set<Invariant> = []
    /// Whether to recompute each completed job all at once with the real model.
    public var verifyAllAtOnce = true
    /// `store-load-bounded`: the most API requests the store may get in one second.
    public var maxRequestsPerSecond: Int? = nil
    /// When the scenario's outage ends, for `Measures.fullAssignmentSeconds`.
    public var recoveryAt: SimInstant? = nil
    /// `recovered-in-time`: the most seconds from `recoveryAt` to full assignment.
    public var recoveryBoundSeconds: Double? = nil
    /// The chunks pending when the recovery began, until each is assigned.
    var recoveryWaiting: Set<ChunkID>? = nil
    /// The scenario's measure-based expectations.
    public var expect = Expectations()
    /// Assignment delays (ms) of the chunks that became pending from `expect.assignmentDelayFrom`.
    var promptDelaysMs: [UInt64] = []
    /// When each node (by its `X-Node-Key`) last had a heartbeat accepted: a dense slot per key
    /// spelling holding the time beside the spelling, so that the check of every snapshot node
    /// reads its slot's time rather than hashing a 44-character string.
    var heartbeatKeys = KeySpellingIndex()
    /// By the client actor's index: the slot in `heartbeatKeys` of the key spelling its last
    /// accepted heartbeat carried (-1: none yet). A hint, tried first and checked byte for byte
    /// (a node's key rarely changes): its cell is the one line a heartbeat then touches there.
    var heartbeatSlotByClient: [Int32] = []
    /// The last few snapshots the sentinels were given (`most-free-slots`), and each node's
    /// dense handle and heartbeat slot (a node's key never changes).
    var snapshots = SnapshotMemory()
    /// Honest nodes' completions refused with 409 (stale claim, already completed).
    var honestCompletionsRefused = 0
    var apiSecond: Int64 = -1
    var apiInSecond = 0

    var now: SimInstant = .zero
    /// The last `recentCapacity` events, named only when a violation prints them: a ring held
    /// inline (no array to check for uniqueness on each of the run's events), filled from slot
    /// 0, then overwritten from `recentHead`, the oldest.
    var recent = InlineArray<24, RecentEvent>(repeating: RecentEvent())
    var recentCount = 0
    var recentHead = 0
    static let recentCapacity = 24

    // Shadow state from the change feed (looked up by id, never iterated).
    /// Per chunk (by the store's handle): its claim or pending time, claims, whether a worker
    /// started it and whether one finished it.
    var chunks = ChunkLedger()
    /// Iterations of each job's completed chunks, by the store's job handle (`jobProgress`):
    /// a dense array where a `[JobID: Int]` hashed the id on every completion.
    var jobTallyByHandle: [Int] = []
    /// The same for a job the store does not know (none is expected: a chunk's job exists).
    var jobTally: [JobID: Int] = [:]
    var jobCreatedAt: [JobID: SimInstant] = [:]
    var publishedNotifications: [String] = []
    var lastConsistencyCheck: SimInstant = .zero

    public init(profile: Profile, compute: ComputeChoice) {
        self.profile = profile
        self.compute = compute
    }

    public var firstViolation: Violation? { violations.first }

    /// Violated invariants, each once, sorted.
    public var violatedInvariants: [Invariant] { Array(Set(violations.map(\.invariant))).sorted() }

    mutating func violate(_ inv: Invariant, _ message: String) {
        guard !disabled.contains(inv) else { return }
        // Keep the first few of each kind; a broken run can repeat one thousands of times.
        if violations.lazy.filter({ $0.invariant == inv }).count >= 5 { return }
        violations.append(Violation(invariant: inv, time: now, message: message, recentEvents: recentLines()))
    }

    // MARK: Events

    mutating func noteEvent(_ e: WorldDelivery) {
        now = e.time
        let kind = e.payload.kindIndex
        let entry = RecentEvent(nanoseconds: e.time.nanoseconds, actor: e.actor.index, from: e.from.index, kind: Int32(kind))
        if kind == Self.nodeTimerKind {
            prefetchHeartbeatHint(of: e.actor)
        } else if kind == Self.apiKind {
            prefetchHeartbeatCell(of: e.from)
        }
        if recentCount < Self.recentCapacity {
            recent[recentCount] = entry
            recentCount += 1
        } else {
            recent[recentHead] = entry
            recentHead = recentHead == Self.recentCapacity - 1 ? 0 : recentHead + 1
        }
    }

    /// `WorldEvent.kindIndex` of `.api` and of `.nodeTimer` (constants, so the test on every
    /// event is a comparison; `ObserverMemoryTests` checks them against `kindNames`).
    static let apiKind = 0
    static let nodeTimerKind = 16

    /// A node's timer fired (most often its heartbeat's: the request goes out now): asks for
    /// the line of its entry in `heartbeatSlotByClient`, which the request's arrival at the API
    /// server reads. A hint only.
    @inline(__always)
    func prefetchHeartbeatHint(of client: ActorID) {
        let c = Int(client.index)
        guard c >= 0, c < heartbeatSlotByClient.count else { return }
        heartbeatSlotByClient.withUnsafeBufferPointer { cprefetch_read($0.baseAddress! + c) }
    }

    /// A request reached the API server: asks for the cell its client's last accepted
    /// heartbeat used, which `noteHonest` reads and writes once the store has run the request
    /// (a database round trip later). At 10,000 nodes that cell is otherwise a cache miss per
    /// heartbeat. A hint only: it changes nothing but timing.
    @inline(__always)
    func prefetchHeartbeatCell(of client: ActorID) {
        let c = Int(client.index)
        guard c >= 0, c < heartbeatSlotByClient.count else { return }
        heartbeatKeys.prefetch(Int(heartbeatSlotByClient[c]))
    }

    /// The recent events, oldest first, as trace lines.
    func recentLines() -> [String] {
        let order = recentCount < Self.recentCapacity
            ? Array(0..<recentCount) : Array(recentHead..<Self.recentCapacity) + Array(0..<recentHead)
        return order.map {
            let r = recent[$0]
            return "t=\(SimInstant(nanoseconds: r.nanoseconds)) a\(r.actor)<-a\(r.from) \(WorldEvent.kindNames[Int(r.kind)])"
        }
    }

    // MARK: Requests

    /// - Parameter client: the actor that sent the request, when the caller knows it: only a
    ///   hint for finding the heartbeat's key spelling (`noteHonest`), never a fact checked.
    mutating func noteAPI(_ request: APIRequest, _ outcome: HandlerOutcome, fromAttacker: Bool, client: ActorID? = nil) {
        let response = outcome.response
        countStoreRequest()
        if let error = outcome.error { measures.apiRejections[error.code, default: 0] += 1 }
        if !fromAttacker { noteHonest(request, response, client: client) }
        if fromAttacker && response.status < 300 {
            violate(.authenticatedRequests, "attack \(request.method) \(request.path) accepted with \(response.status)")
        } else if fromAttacker && response.status < 500 && response.status != 401 && response.status != 409 {
            // An attack is refused by authentication (401) or, correctly signed by a node that
            // holds no claim, by the completion rules (409); any other answer means it got past
            // the guard meant for it (a fetch answering 404 read the store for a stranger).
            violate(.authenticatedRequests, "attack \(request.method) \(request.path) got past authentication: \(response.status) \(outcome.error?.code ?? "")")
        }
    }

    /// An assignment channel's open reached the store (its transaction authenticates the node
    /// and lists its running chunks): load like any request, and the one a fleet is most likely
    /// to send in step, since a restart or a partition closes every channel at once and only
    /// the backoff's jitter spreads the reopening.
    mutating func noteChannelOpen() { countStoreRequest() }

    /// One more API request in the current second (`store-load-bounded`).
    mutating func countStoreRequest() {
        measures.apiRequests += 1
        let second = now.nanoseconds / 1_000_000_000
        if second != apiSecond {
            apiSecond = second
            apiInSecond = 0
        }
        apiInSecond += 1
        if apiInSecond > measures.apiPeakPerSecond {
            measures.apiPeakPerSecond = apiInSecond
            if let bound = maxRequestsPerSecond, apiInSecond == bound + 1 {
                violate(.storeLoadBounded, "the store got more than \(bound) requests in the second from \(second) s")
            }
        }
    }

    mutating func noteSubmission(ok: Bool, reason: String) {
        if !ok { violate(.submissionAccepted, "a valid submission failed: \(reason)") }
    }

    /// What a user saw that they should not have.
    mutating func notePortalAnomaly(_ a: PortalAnomaly) {
        switch a {
        case .progressWentBackwards, .statusWentBackwards:
            violate(.monotonicProgress, "portal saw \(a)")
        case .completedWithoutResult:
            violate(.resultAggregation, "portal saw \(a)")
        case .completedWithIncompleteProgress:
            violate(.progressAccounting, "portal saw \(a)")
        case .unreadableJob:
            measures.unreadableJobs += 1
        }
    }

    /// A node's worker started a chunk. Returns the chunk's ledger handle, which the World
    /// carries in the `computed` event to `noteComputationFinished`.
    @discardableResult
    mutating func noteComputationStarted(_ chunk: ChunkID, store: borrowing EmbeddedStore) -> Int {
        measures.computations += 1
        let h = chunks.handle(chunk, store: store)
        if chunks.noteStarted(h) { measures.duplicateExecutions += 1 }
        return h
    }

    mutating func noteFault(_ action: ControlAction, on target: Target) {
        measures.faults.append(AppliedFault(seconds: now.seconds, action: action, target: target))
    }

    /// Keeps the ground-truth membership in step with the guild events the scenario sends.
    mutating func applyGuild(_ event: GuildEvent) {
        switch event {
        case .members(let g, let m): guildMembers[g] = Array(Set(m)).sorted()
        case .memberJoined(let g, let m):
            var list = guildMembers[g] ?? []
            if !list.contains(m) { list.append(m); list.sort() }
            guildMembers[g] = list
        case .memberLeft(let g, let m): guildMembers[g]?.removeAll { $0 == m }
        case .guildLeft(let g): guildMembers[g] = nil
        }
    }

    /// A node's worker finished a chunk: any finish beyond the chunk's first is work the store
    /// did not need (refused as stale, or the same result again), whichever of them it took.
    /// - Parameter ledger: the chunk's handle in `chunks`, as its start found it (a handle
    ///   never changes: the store's are never reused, and a stray id keeps its own).
    mutating func noteComputationFinished(ledger: Int) {
        if chunks.noteFinished(ledger) { measures.wastedComputations += 1 }
    }

    mutating func noteStoreError(_ error: StoreError) { measures.storeErrors += 1 }

    mutating func notePublished(_ notes: [StoreNotification]) {
        for n in notes where n.channel == Sentinel.channel { publishedNotifications.append(n.payload) }
    }

    // MARK: Sentinel statements

    mutating func noteApplied(bySentinel s: Int, of count: Int, planned: Int, applied: Int) {
        if measures.assignmentsBySentinel.count < count {
            measures.assignmentsBySentinel += Array(repeating: 0, count: count - measures.assignmentsBySentinel.count)
        }
        measures.assignmentsBySentinel[s] += applied
        measures.guardedSkips += planned - applied
    }

    mutating func noteStoreCall(_ call: StoreCall, _ reply: StoreReply, store: borrowing EmbeddedStore, storeNow: Timestamp) {
        if case .snapshot(let snapshot) = reply { rememberSnapshot(snapshot, store: store) }
        if case .apply(let plan, _, _) = call { checkMostFreeSlots(plan) }
        guard case .applied(let assignments) = reply else {
            if case .reclaimed(let ids) = reply { noteReclaimed(ids, by: "sentinel", store: store, storeNow: storeNow) }
            return
        }
        if case .apply(let plan, true, let window) = call, assignments.count < plan.count {
            countCapacitySkips(plan, applied: assignments, window: window, store: store, storeNow: storeNow)
        }
        for a in assignments {
            // Most assignments are cleared from the store's dense entries (no row copied);
            // anything else is checked from the rows below, which also word the violations.
            if let facts = store.assignmentFacts(node: a.nodeID, job: a.jobID), let seen = facts.lastSeen,
                seen > storeNow - profile.onlineWindow, facts.running <= facts.capacity,
                facts.jobAccess == nil || facts.jobAccess == .public || facts.nodeUserID == facts.jobUserID
            {
                continue
            }
            checkAssignment(a, store: store, storeNow: storeNow)
        }
    }

    /// `eligible-assignment` for one applied assignment, from the node's and the job's rows.
    mutating func checkAssignment(_ a: ChunkAssignment, store: borrowing EmbeddedStore, storeNow: Timestamp) {
        guard let node = store.node(a.nodeID) else {
            violate(.eligibleAssignment, "chunk \(a.chunkID) assigned to a node that does not exist")
            return
        }
        if let seen = node.lastSeenAt, seen > storeNow - profile.onlineWindow {
        } else {
            violate(.eligibleAssignment, "chunk \(a.chunkID) assigned to \(node.name), not online (last seen \(node.lastSeenAt.map { "\($0)" } ?? "never"))")
        }
        let running = store.runningCount(of: a.nodeID)
        if running > node.capacity {
            violate(.eligibleAssignment, "\(node.name) runs \(running) chunks, capacity \(node.capacity)")
        }
        if let job = store.job(a.jobID), !isEligible(job: job, node: node, store: store) {
            if job.accessType == .discord { measures.bloomFalsePositiveAssignments += 1 }
            violate(.eligibleAssignment, "chunk of \(job.accessType.rawValue) job \(job.id) assigned to ineligible \(node.name)")
        }
    }

    /// The planned rows a guarded apply skipped although their chunk is still pending and their
    /// node online by the apply's window: the node's capacity was all that refused them (an
    /// apply never makes a chunk pending, so a skipped chunk pending now was pending then).
    mutating func countCapacitySkips(
        _ plan: [PlannedAssignment], applied: [ChunkAssignment], window: Interval?, store: borrowing EmbeddedStore,
        storeNow: Timestamp
    ) {
        var made = Set<ChunkID>()
        for a in applied { made.insert(a.chunkID) }
        for row in plan where !made.contains(row.chunkID) {
            guard store.chunk(row.chunkID)?.status == .pending, let node = store.node(row.nodeID) else { continue }
            if let window {
                guard let seen = node.lastSeenAt, seen > storeNow - window else { continue }
            }
            measures.guardedCapacitySkips += 1
        }
    }

    func isEligible(job: JobRow, node: NodeRow, store: borrowing EmbeddedStore) -> Bool {
        if node.userID == job.userID { return true }
        switch job.accessType {
        case .private: return false
        case .public: return true
        case .user:
            return store.permissions(of: node.id).contains { $0.accessType == .user && $0.targetID == job.userID.uuidString }
        case .discord:
            guard let g = job.discordServerID, let owner = node.userID, let discord = store.user(owner)?.discordID,
                let id = UInt64(discord), let members = guildMembers[g]
            else { return false }
            return members.contains(id)
        }
    }

    /// `live-claims-kept`: the reaper must not take a chunk from a node that is alive (the store
    /// heard it within the online window) and computing that chunk (ground truth from the
    /// node's worker pool, `computing`), unless the claim is older than the live-claim limit.
    mutating func checkLiveClaims(_ ids: [ChunkID], computing: [Bool], store: borrowing EmbeddedStore, storeNow: Timestamp) {
        for (id, isComputing) in zip(ids, computing) where isComputing {
            guard let claimed = chunks.claimedAt(id, store: store), claimed >= storeNow - profile.liveClaimLimit,
                let holder = store.chunk(id)?.lastNodeID, let node = store.node(holder),
                let seen = node.lastSeenAt, seen > storeNow - profile.onlineWindow
            else { continue }
            violate(.liveClaimsKept, "reaper took chunk \(id) from \(node.name), alive (seen \((storeNow - seen).seconds)s ago) and computing it for \((storeNow - claimed).seconds)s")
        }
    }

    mutating func noteReclaimed(_ ids: [ChunkID], by who: String, store: borrowing EmbeddedStore, storeNow: Timestamp) {
        for id in ids {
            let claimedAt = chunks.claimedAt(id, store: store)
            if who == "reaper" {
                measures.reclaimedByReaper += 1
                if let claimed = claimedAt {
                    let late = (storeNow - claimed).seconds - profile.claimTimeout.seconds
                    measures.reapDelayMaxSeconds = max(measures.reapDelayMaxSeconds, late)
                }
            } else {
                measures.reclaimedBySentinel += 1
            }
            if let claimed = claimedAt, claimed >= storeNow - profile.claimTimeout {
                violate(.reclaimAfterTimeout, "\(who) took chunk \(id) back after \((storeNow - claimed).seconds)s, claim timeout \(profile.claimTimeout.seconds)s")
            }
        }
    }
}

/// One event as the observer's ring of recent events keeps it: 20 bytes, no references.
struct RecentEvent: Sendable {
    var nanoseconds: Int64 = 0
    var actor: Int32 = 0
    var from: Int32 = 0
    /// `WorldEvent.kindIndex`.
    var kind: Int32 = 0
}
