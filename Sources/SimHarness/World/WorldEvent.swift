import Engine
import JobSystem

/// Every event of a simulated run: messages between the roles, their timers, and the control
/// events of a scenario (faults and workload). Plain data, so events cost no allocation of
/// their own beyond their contents, fold into the run digest and print as trace lines.
public enum WorldEvent: TraceablePayload, Sendable {
    // Requests to the API server (the edge functions) and their answers: only what HTTP
    // carries (a status, headers and a body).
    case api(id: UInt64, APIRequest)
    case apiReply(id: UInt64, APIResponse)
    /// The API server runs a request as one store transaction (`txn`) on its database
    /// connection number `connection`; the store answers with the handler's outcome, which
    /// stays on the server's side.
    case transaction(txn: UInt64, connection: UInt64, APIRequest)
    case transactionDone(txn: UInt64, connection: UInt64, HandlerOutcome)
    /// The assignment channel: a node opens it (connection number `generation` of that node),
    /// the API server sends its messages or closes it (a refusal, or nil for a drop).
    case channelOpen(generation: UInt64, APIRequest)
    case channelMessage(generation: UInt64, AssignmentChannelMessage)
    case channelClosed(generation: UInt64, APIResponse?)
    /// The store's change feed of committed assignments, to the API server's channel hub.
    case committedAssignments([ChunkAssignment])
    // The sentinel's statements on its store connection.
    case storeCall(id: UInt64, StoreCall)
    case storeReply(id: UInt64, StoreReply)
    // LISTEN/NOTIFY.
    case listen
    case listenAck
    case listenLost
    case notify(StoreNotification)
    // Timers.
    case wake
    case cron(CronJob)
    case nodeTimer(NodeTimer)
    /// A node's worker finished a chunk. `ledger` is the harness's bookkeeping, not part of the
    /// event: the observer's handle of the chunk (`ChunkLedger`), found when the computation
    /// started and carried here so that the finish needs no lookup by id (a cold hash slot and
    /// a cold chunk row, 1.4 % of the N = 10,000 fleet's samples). Neither folded nor printed;
    /// it sits in the padding before the 16-byte-aligned result (the case stays 96 bytes).
    case computed(ChunkID, attempt: Int, ledger: Int32, ChunkResult)
    case portalTimer(PortalTimer)
    /// A request's next statement, one database round trip after its previous one (today's
    /// config-upsert SELECT, then INSERT); other requests run in between. Boxed (`indirect`),
    /// as `control` is: both are rare and the largest cases, and every event is as large as
    /// the largest case (153 bytes with them inline, 105 without), in the queue's slab and in
    /// each copy on the way through.
    indirect case statement(id: UInt64, client: ActorID, APIRequest, PendingStatement)
    // Scenario control.
    indirect case control(ControlAction)

    /// A short stable name per case, for traces and counts.
    public var kind: String { Self.kindNames[kindIndex] }

    /// The case's position in `kindNames`: what the per-event bookkeeping keeps (the observer's
    /// ring of recent events, the World's counts by kind), so that no event pays for a name.
    public var kindIndex: Int {
        switch self {
        case .api: return 0
        case .apiReply: return 1
        case .transaction: return 2
        case .transactionDone: return 3
        case .channelOpen: return 4
        case .channelMessage: return 5
        case .channelClosed: return 6
        case .committedAssignments: return 7
        case .storeCall: return 8
        case .storeReply: return 9
        case .listen: return 10
        case .listenAck: return 11
        case .listenLost: return 12
        case .notify: return 13
        case .wake: return 14
        case .cron: return 15
        case .nodeTimer: return 16
        case .computed: return 17
        case .portalTimer: return 18
        case .statement: return 19
        case .control: return 20
        }
    }

    /// Every case's name, indexed by `kindIndex`.
    public static let kindNames: [String] = [
        "api",
        "api_reply",
        "transaction",
        "transaction_done",
        "channel_open",
        "channel_message",
        "channel_closed",
        "committed_assignments",
        "store_call",
        "store_reply",
        "listen",
        "listen_ack",
        "listen_lost",
        "notify",
        "wake",
        "cron",
        "node_timer",
        "computed",
        "portal_timer",
        "statement",
        "control",
    ]

    /// The methods and routes every request names, whose digest words `fold` takes from a
    /// table rather than from their bytes (`TraceStringTable`: the same words; any other
    /// string, e.g. `/jobs/<id>`, is folded from its bytes).
    static let digestStrings = TraceStringTable([
        "POST", "GET", "/node-heartbeat", "/chunk-complete", "/node-register", "/node-claim", "/job-create",
        "/config-upsert", "/config-fetch", "/rotation-fetch", "/jobs",
    ])

    /// A typed answer's fields (the typed wire only; the JSON wire folds the body's bytes).
    static func foldWire(_ w: WireResponseBody, _ d: inout TraceDigest) {
        switch w {
        case .heartbeat(let id, let maxParallel, _, let renewed, let status):
            d.fold(1); d.fold(id.raw.high); d.fold(id.raw.low); d.fold(maxParallel); d.fold(renewed); d.fold(status.rawValue)
        case .completion(let duplicate, let jobComplete):
            d.fold(2); d.fold(duplicate); d.fold(jobComplete)
        case .rejection(let code, _, let retryAfter):
            d.fold(3); d.fold(code); d.fold(retryAfter ?? -1)
        }
    }

    public func fold(into d: inout TraceDigest) {
        switch self {
        // A body's words first (`TraceDigest.ByteWords`: its FNV-1a does not depend on the
        // digest, so it runs beside the chain of the words folded before it); folded in order.
        case .api(let id, let r):
            let body = TraceDigest.ByteWords(r.body)
            d.fold(1); d.fold(id); d.fold(r.method, known: Self.digestStrings); d.fold(r.path, known: Self.digestStrings); d.fold(body)
            if let w = r.wire { d.fold(w.digest.bytes) }  // the typed wire only (`WorldConfig.wire`)
        case .apiReply(let id, let r):
            let body = TraceDigest.ByteWords(r.body)
            d.fold(2); d.fold(id); d.fold(r.status); d.fold(body)
            if let w = r.wire { Self.foldWire(w, &d) }
        case .transaction(let txn, let connection, let r):
            d.fold(17); d.fold(txn); d.fold(connection); d.fold(r.path, known: Self.digestStrings)
        case .transactionDone(let txn, let connection, let o):
            d.fold(18); d.fold(txn); d.fold(connection); d.fold(o.status)
        case .channelOpen(let g, let r):
            d.fold(19); d.fold(g); d.fold(r.path)
        case .channelMessage(let g, let m):
            d.fold(20); d.fold(g)
            switch m {
            case .subscribed(_, let held):
                d.fold(0); d.fold(held.count)
                for a in held { Self.foldAssignment(a, &d) }
            case .assigned(let a):
                d.fold(1); Self.foldAssignment(a, &d)
            }
        case .channelClosed(let g, let r):
            d.fold(21); d.fold(g); d.fold(r?.status ?? 0)
        case .committedAssignments(let list):
            d.fold(9); d.fold(list.count)
            for a in list { Self.foldAssignment(a, &d) }
        case .storeCall(let id, let c):
            d.fold(3); d.fold(id); foldCall(c, &d)
        case .storeReply(let id, let r):
            d.fold(4); d.fold(id); foldReply(r, &d)
        case .listen: d.fold(5)
        case .listenAck: d.fold(6)
        case .listenLost: d.fold(7)
        case .notify(let n): d.fold(8); d.fold(n.payload)
        case .wake: d.fold(10)
        case .cron(let j): d.fold(11); d.fold(j.rawValue)
        case .nodeTimer(let t):
            d.fold(12)
            switch t {
            case .heartbeat: d.fold(0)
            case .requestTimeout(let id): d.fold(1); d.fold(id)
            case .retry(let id): d.fold(2); d.fold(id)
            case .resubscribe: d.fold(3)
            case .channelOpenTimeout: d.fold(4)
            }
        case .computed(let c, let attempt, _, let r):
            d.fold(13); d.fold(c.raw.high); d.fold(c.raw.low); d.fold(attempt); d.fold(r.iterations); d.fold(r.meanDPS)
        case .portalTimer(let t):
            d.fold(14)
            switch t {
            case .submit: d.fold(0)
            case .poll(let i): d.fold(1); d.fold(i)
            case .requestTimeout(let id): d.fold(2); d.fold(id)
            }
        case .control(let a): d.fold(15); d.fold(String(describing: a))
        case .statement(let id, let client, let r, _): d.fold(16); d.fold(id); d.fold(Int(client.index)); d.fold(r.path)
        }
    }

    static func foldAssignment(_ a: ChunkAssignment, _ d: inout TraceDigest) {
        d.fold(a.chunkID.raw.high); d.fold(a.chunkID.raw.low); d.fold(a.attempt)
        d.fold(a.nodeID.raw.high); d.fold(a.nodeID.raw.low)
    }

    private func foldCall(_ c: StoreCall, _ d: inout TraceDigest) {
        switch c {
        case .snapshot(let limit, let window): d.fold(1); d.fold(limit); d.fold(window.micros)
        case .apply(let plan, let guarded, let window):
            d.fold(2); d.fold(guarded); d.fold(window?.micros ?? -1); d.fold(plan.count)
            for p in plan { d.fold(p.chunkID.raw.low); d.fold(p.nodeID.raw.low) }
        case .reclaimSilent(let silence): d.fold(3); d.fold(silence.micros)
        case .gauges(let window): d.fold(4); d.fold(window.micros)
        }
    }

    private func foldReply(_ r: StoreReply, _ d: inout TraceDigest) {
        switch r {
        case .snapshot(let s):
            d.fold(1); d.fold(s.chunks.count); d.fold(s.onlineNodes); d.fold(s.morePending)
            for c in s.chunks { d.fold(c.pendingSeq) }
        case .applied(let a):
            d.fold(2); d.fold(a.count)
            for x in a { d.fold(x.chunkID.raw.low); d.fold(x.nodeID.raw.low); d.fold(x.attempt) }
        case .reclaimed(let ids):
            d.fold(3); d.fold(ids.count)
            for x in ids { d.fold(x.raw.low) }
        case .gauges(let g):
            d.fold(4); d.fold(g.pendingChunks); d.fold(g.runningChunks); d.fold(g.onlineNodes)
        case .failed(let e):
            d.fold(5); d.fold(e.description)
        }
    }
}

/// The store's scheduled functions (pg_cron).
public enum CronJob: String, Sendable, CaseIterable {
    case reapStaleChunks = "reap_stale_chunks"
    case markNodesOffline = "mark_nodes_offline"
    case cleanupStaleData = "cleanup_stale_data"
}
