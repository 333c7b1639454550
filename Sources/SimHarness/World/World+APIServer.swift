import CPrefetch
import Engine
import JobSystem

/// The API server (the edge functions' host; the `sentinel --role api` process in production):
/// an actor of its own between the clients and the store. A request travels client → API
/// server → store → API server → client, each hop with the link's latency:
///
/// - the API server runs each request as ONE store transaction (`.transaction`): the store runs
///   the whole handler at the instant the transaction arrives, between other clients'
///   transactions but never interleaved with them. Production runs each request in one
///   SERIALIZABLE PostgreSQL transaction retried on serialization failures, whose committed
///   result is that of some serial order of whole transactions: exactly what this explores.
///   Today's racy config upsert (`.racyConfigUpsert`) keeps its two statements, the second a
///   round trip later (`.statement`), with other transactions in between;
/// - the handler's clock for signature windows is the API server's; everything the store
///   stamps uses the store's own clock;
/// - the rate limiter is the API server's memory (lost when it restarts);
/// - only the response (status, headers, body) goes back to the client; the typed error stays
///   here, for the observer's counts;
/// - it serves the assignment channels: a node opens one (`.channelOpen`), the server answers
///   with the `subscribed` list or a refusal, then forwards the store's committed assignments
///   (`.committedAssignments`, its LISTEN on the change feed) to the subscribed node.
///
/// Faults, where production has them (applied in `FaultInjection.swift`): the API server
/// crashes (its in-flight requests are lost: a transaction that committed stays committed and
/// the client times out; its limiter and channels are gone); its database connections drop
/// (`dropStoreConnections`, a store crash, or `loseTransactions` at random): a transaction not
/// yet committed rolls back and the client gets 503 `store_error`, which nodes retry; a reply
/// of a transaction that committed is lost with the connection and answered 503 too (the
/// client cannot tell: its retry must be idempotent).
struct APIServerHost {
    let actor: ActorID
    var limiter = RateLimiter()
    /// The answers' bodies it reuses once delivered (`ResponseBuffers`): a heartbeat's answer
    /// allocates nothing. 256 slots of about 120 bytes: more than the answers in flight at once
    /// (a database round trip and a link's latency) at 10,000 nodes.
    var responseBuffers = ResponseBuffers(slots: 256)
    /// Requests waiting for their transaction: transaction id → who asked.
    var inFlight = InFlightRequests()
    /// The database connection in use: bumped when it drops, so a reply on the old one is
    /// recognised as lost with it.
    var connection: UInt64 = 1
    /// Open assignment channels by node id (`ChannelTable`: one multiply and usually one slot
    /// a lookup, where a `Dictionary` hashed the id for every committed assignment).
    var channels = ChannelTable()
    var isUp = true
}

struct InFlightRequest {
    var client: ActorID
    var requestID: UInt64
    /// Whether the request came on the typed wire (`answer` replies in kind). All the entry
    /// needs of the request: keeping the request itself cost a copy of it per transaction.
    var typedWire: Bool
    /// Where the request's node header buffer lies (`APIHeaders.nodeSignedTextAddresses`): the
    /// look-ahead prefetches it one event before the transaction reaches the store
    /// (World+Lookahead.swift). An address only (it keeps nothing alive; the request in the
    /// transaction does), read for hints only.
    var headerText: UnsafeRawPointer? = nil
    /// Where the same request's key text lies (`APIHeaders.nodeSignedTextAddresses`), likewise.
    var keyText: UnsafeRawPointer? = nil
}

/// One side of an open assignment channel: the node's actor and its connection number.
struct ChannelEnd: Equatable {
    var actor: ActorID
    var generation: UInt64
}

extension World {
    /// Takes the event (`consuming`): the request moves on into its transaction and the outcome
    /// into its reply, where borrowing them made a copy of each (a retain and a release of every
    /// reference they hold) and of the whole event.
    mutating func apiServerReceive(_ e: consuming WorldDelivery) {
        let from = e.from
        switch e.takePayload() {
        case .api(let id, let request):
            if request.path == "/node-heartbeat" && from != environment {
                observer.measures.heartbeatRequests += 1
            }
            guard sim.isUp(storeActor) else {
                // The pool cannot connect: refused at once.
                answer(from, id, typedWire: request.wire != nil, .rejected(.store(.connectionLost)), ranAtStore: false)
                return
            }
            let txn = nextTransaction
            nextTransaction += 1
            let text = request.headers.nodeSignedTextAddresses
            // The node's key text, asked for a database latency before the parse reads its
            // first byte: a heap object of the node's own, cold at 10,000 nodes, whose first
            // read was about two thirds of `SignedHeaders.decode`'s `perf` samples though the
            // look-ahead asks for it one event earlier (too late). Asked here, it waits in the
            // caches; `perf`: the parse 1.0 -> 0.4 % of the samples, this function +0.3 (the
            // prefetch waits for its page's translation). A hint only.
            if let key = text?.key { cprefetch_read(key) }
            apiServer.inFlight.insert(
                InFlightRequest(
                    client: from, requestID: id, typedWire: request.wire != nil, headerText: text?.buffer, keyText: text?.key),
                for: txn)
            sim.deliver(from: apiServerActor, to: storeActor, after: databaseLatency(), .transaction(txn: txn, connection: apiServer.connection, request))
        case .transactionDone(let txn, let connection, let outcome):
            guard let asked = apiServer.inFlight.removeValue(forKey: txn) else { return }  // lost in a crash
            if connection != apiServer.connection {
                // The connection dropped with the reply on it: the client learns only that.
                answer(asked.client, asked.requestID, typedWire: asked.typedWire, .rejected(.store(.connectionLost)), ranAtStore: false)
            } else {
                answerCommitted(asked.client, asked.requestID, typedWire: asked.typedWire, outcome)
            }
        case .channelOpen(let generation, let request):
            openChannel(from: from, generation: generation, request)
        case .committedAssignments(let assignments):
            prefetchPushes(assignments)
            for a in assignments { push(a) }
        case .control(let action):
            apply(action, on: .apiServer)
        case let other:
            preconditionFailure("api server got \(other.kind)")
        }
    }

    /// Sends the response (only the response) back to the client.
    mutating func answer(_ client: ActorID, _ id: UInt64, typedWire: Bool, _ outcome: consuming HandlerOutcome, ranAtStore: Bool) {
        // What never reached the store is counted here (the store's runs count themselves).
        if !ranAtStore, let error = outcome.error { observer.measures.apiRejections[error.code, default: 0] += 1 }
        // The typed wire: a rejection made here (not by the handlers) answers a typed request
        // in kind too.
        if typedWire, outcome.response.wire == nil, let error = outcome.error {
            sim.send(from: apiServerActor, to: client, .apiReply(id: id, .typedRejection(error)))
            return
        }
        // The response moves into the reply (the outcome is this function's own).
        sim.send(from: apiServerActor, to: client, .apiReply(id: id, outcome.takeResponse()))
    }

    /// `answer` for a transaction's outcome (`ranAtStore`), which stays in the event: the
    /// response is copied into the reply (a retain of each of its references) where taking the
    /// outcome out of the event's payload copied all of it, then copied the response out of
    /// that copy, and destroyed both.
    mutating func answerCommitted(_ client: ActorID, _ id: UInt64, typedWire: Bool, _ outcome: borrowing HandlerOutcome) {
        if typedWire, outcome.response.wire == nil, let error = outcome.error {
            sim.send(from: apiServerActor, to: client, .apiReply(id: id, .typedRejection(error)))
            return
        }
        sim.send(from: apiServerActor, to: client, .apiReply(id: id, outcome.response))
    }

    /// One database round trip's one way (the API server and the store share a data centre,
    /// but the link's latency is what the scenario gives).
    mutating func databaseLatency() -> SimDuration {
        config.link.latency.draw(&sim.rngs[Int(apiServerActor.index)])
    }

    /// A transaction arrives at the store: the whole handler runs now, or it is rolled back
    /// because its connection dropped (a stale `connection`, or `transactionLossRate`).
    ///
    /// The request is the transaction's own (`consuming`): the eavesdropper's copy of an
    /// accepted heartbeat takes it, last, instead of copying it.
    mutating func runTransaction(_ txn: UInt64, connection: UInt64, _ request: consuming APIRequest) {
        if connection != apiServer.connection
            || (transactionLossRate > 0 && sim.rngs[Int(storeActor.index)].bernoulli(transactionLossRate))
        {
            observer.measures.transactionsRolledBack += 1
            observer.measures.apiRejections[APIError.store(.connectionLost).code, default: 0] += 1
            replyToAPIServer(.transactionDone(txn: txn, connection: connection, .rejected(.store(.connectionLost))))
            return
        }
        let handlerNow = self.now(apiServerActor)
        // The body the answer will be written into, asked for now (`ResponseBuffers.prefetchNext`).
        apiServer.responseBuffers.prefetchNext()
        // Option B: a node request without signature headers is an old node's, sent to
        // today's edge functions; everything else reaches ours. Checked only when option B is
        // on: the common path costs nothing more (the cheap tests first, and today's handlers
        // borrowed where they are: `if let` bound a copy of them, retains and all, for every
        // request, and destroyed it after).
        let progress: HandlerProgress
        // (Asked of the configuration, which says whether today's handlers are there: testing the
        // optional handlers themselves, `!= nil` or `case .some`, copied them first.)
        if case .todaysHandlersBeside = config.nodeMigration, request.headers.isEmpty, request.user == nil, RequestRoute(path: request.path).isNodeRoute {
            progress = todaysHandlers!.begin(
                request, store: &store, limiter: &apiServer.limiter, buffers: &apiServer.responseBuffers, now: handlerNow)
        } else {
            progress = handlers.begin(
                request, store: &store, limiter: &apiServer.limiter, buffers: &apiServer.responseBuffers, now: handlerNow)
        }
        switch consume progress {
        case .done(let outcome):
            let client = transactionClient(txn)
            let fromAttacker = client == environment
            noteDecision(request, outcome)
            observer.noteAPI(request, outcome, fromAttacker: fromAttacker, client: client)
            if !fromAttacker, request.path == "/node-heartbeat", outcome.response.status == 200 {
                // What an eavesdropper on the path keeps: the latest heartbeat the store
                // accepted. A copy of one that never reached it (refused while the store was
                // down, or rolled back) is not a replay: its signature was never spent, and
                // it is the original arriving late (swarm seeds 379, 562, 820).
                capturedHeartbeat = consume request
            }
            publishCommitted()
            replyToAPIServer(.transactionDone(txn: txn, connection: connection, consume outcome))
        case .awaiting(let pending):
            // Today's second statement, one database round trip later.
            publishCommitted()
            let roundTrip = config.link.latency.draw(&sim.rngs[Int(storeActor.index)])
                + config.link.latency.draw(&sim.rngs[Int(storeActor.index)])
            _ = sim.setTimer(for: storeActor, after: roundTrip, .statement(id: txn, client: apiServerActor, request, pending))
        }
    }

    /// Today's config-upsert INSERT, its second statement.
    mutating func resumeTransaction(_ txn: UInt64, _ request: APIRequest, _ pending: PendingStatement) {
        let outcome = handlers.resume(pending, store: &store, now: now(apiServerActor))
        noteDecision(request, outcome)
        observer.noteAPI(request, outcome, fromAttacker: isAttack(txn))
        publishCommitted()
        replyToAPIServer(.transactionDone(txn: txn, connection: apiServer.connection, outcome))
    }

    /// Which client sent the request of transaction `txn` (nil once it has gone).
    @inline(__always)
    func transactionClient(_ txn: UInt64) -> ActorID? { apiServer.inFlight[txn]?.client }

    /// Whether transaction `txn` is the environment's (an attacker's or a replayer's) request.
    func isAttack(_ txn: UInt64) -> Bool { transactionClient(txn) == environment }

    /// The store's answer on the API server's connection, late by the store's injected slowness.
    mutating func replyToAPIServer(_ payload: consuming WorldEvent) {
        sim.deliver(from: storeActor, to: apiServerActor, after: storeSlowness + databaseLatency(), payload)
    }

    // MARK: Assignment channels

    /// A node opens its channel: authenticated and its running chunks listed in one
    /// transaction, run as the open arrives (the channel's upgrade is answered once, so the
    /// database round trip only delays the first message by a few milliseconds).
    mutating func openChannel(from node: ActorID, generation: UInt64, _ request: APIRequest) {
        guard sim.isUp(storeActor) else {
            sendChannel(to: node, .channelClosed(generation: generation, .rejection(.store(.connectionLost))))
            return
        }
        // One transaction: authenticate and list the node's running chunks.
        syncStoreClock()
        observer.noteChannelOpen()
        // Option B: an old node's unsigned open is served as today's Realtime serves it.
        let server = request.headers.isEmpty ? (todaysHandlers ?? handlers) : handlers
        let opening = server.openAssignmentChannel(request, store: &store, now: now(apiServerActor))
        let changes = store.takeChanges()
        noteDecisions(changes)
        observer.checkStore(changes, store: store)
        switch opening {
        case .opened(let message):
            guard case .subscribed(let id, _) = message else { return }
            if let old = apiServer.channels[id], old.actor != node || old.generation != generation {
                // A newer connection replaces the older one (a node that reconnected).
                sendChannel(to: old.actor, .channelClosed(generation: old.generation, nil))
            }
            apiServer.channels[id] = ChannelEnd(actor: node, generation: generation)
            sendChannel(to: node, .channelMessage(generation: generation, message))
        case .refused(let outcome):
            if let error = outcome.error { observer.measures.apiRejections[error.code, default: 0] += 1 }
            sendChannel(to: node, .channelClosed(generation: generation, outcome.response))
        }
    }

    /// The realtime push: to the node's open channel, if any.
    mutating func push(_ a: ChunkAssignment) {
        guard let end = apiServer.channels[a.nodeID] else {
            observer.measures.assignmentsToUnsubscribed += 1
            return
        }
        sendChannel(to: end.actor, .channelMessage(generation: end.generation, .assigned(a)))
    }

    /// Asks for the two lines each push of a committed batch reads cold at 10,000 nodes (a
    /// batch is about a hundred assignments, one event): the node's channel slot, then, once
    /// the slots are on their way and read, the subscribed node's `channelDeliveredUntil`.
    /// Pushed one after another, each push waited for its two misses in turn (`perf`: about
    /// 0.6 % of a fleet run's samples on the slot, 0.3 % on the host line); asked for all at
    /// once, the misses overlap. Hints only: nothing here changes what is sent.
    func prefetchPushes(_ assignments: [ChunkAssignment]) {
        for a in assignments { apiServer.channels.prefetch(a.nodeID) }
        guard let offset = MemoryLayout<NodeHost>.offset(of: \.channelDeliveredUntil) else { return }
        for a in assignments {
            guard let end = apiServer.channels[a.nodeID], let i = nodeIndex(ofActor: end.actor) else { continue }
            nodes.withUnsafeBufferPointer { hosts in cprefetch_read(UnsafeRawPointer(hosts.baseAddress! + i) + offset) }
        }
    }

    /// A message on an open connection: TCP delivers it whole and in order, late by the link's
    /// latency, or not at all once the connection is cut (channels crossing a partition are
    /// dropped when it starts, `dropCutChannels`).
    mutating func sendChannel(to node: ActorID, _ payload: WorldEvent) {
        guard !sim.network.isCut(from: apiServerActor, to: node) else { return }
        var at = sim.now + config.link.latency.draw(&sim.rngs[Int(apiServerActor.index)])
        if case .node(let i) = roles[Int(node.index)] {
            // In order: never before the previous message to this node.
            at = max(at, nodes[i].channelDeliveredUntil)
            nodes[i].channelDeliveredUntil = at
        }
        sim.deliver(from: apiServerActor, to: node, after: at - sim.now, payload)
    }

    /// Closes every channel (the API server restarts, or loses its feed of the store): each
    /// node learns it from its closed connection, one latency later.
    mutating func dropAllChannels() {
        let ends = apiServer.channels.entries.map(\.end).sorted { ($0.actor.index, $0.generation) < ($1.actor.index, $1.generation) }
        apiServer.channels.removeAll()
        for end in ends {
            observer.measures.channelsDropped += 1
            sendChannel(to: end.actor, .channelClosed(generation: end.generation, nil))
        }
    }

    /// Drops the channels a partition cuts: neither side can reach the other, and each learns
    /// it when its keepalive times out (`channelKeepalive` later).
    mutating func dropCutChannels() {
        // (`entries` is ordered by node id.)
        let cut = apiServer.channels.entries.filter { _, end in
            sim.network.isCut(from: apiServerActor, to: end.actor) || sim.network.isCut(from: end.actor, to: apiServerActor)
        }
        for (id, end) in cut {
            apiServer.channels[id] = nil
            observer.measures.channelsDropped += 1
            sim.deliver(from: end.actor, to: end.actor, after: WorldTime.duration(config.channelKeepalive), .channelClosed(generation: end.generation, nil))
        }
    }

    /// The API server's database connections drop: in-flight transactions roll back (their
    /// clients get 503), and the channels close, since the feed they forward came over one.
    mutating func dropAPIServerConnections() {
        apiServer.connection += 1
        let waiting = apiServer.inFlight.removeAll()  // oldest first
        for (_, asked) in waiting {
            answer(asked.client, asked.requestID, typedWire: asked.typedWire, .rejected(.store(.connectionLost)), ranAtStore: false)
        }
        dropAllChannels()
    }

    mutating func crashAPIServer() -> Bool {
        guard apiServer.isUp else { return false }
        sim.crash(apiServerActor)
        apiServer.isUp = false
        observer.measures.apiRequestsLostInCrash += apiServer.inFlight.count
        _ = apiServer.inFlight.removeAll()
        apiServer.limiter = RateLimiter()
        apiServer.connection += 1
        // The process is gone: its sockets close, the nodes see their channels end.
        dropAllChannels()
        return true
    }

    mutating func restartAPIServer() -> Bool {
        guard !apiServer.isUp else { return false }
        sim.restart(apiServerActor)
        apiServer.isUp = true
        return true
    }
}
