/// The assignment channel, as the node's own doing: it subscribes once it has a node id,
/// learns the chunks it holds from the channel's first message, and resubscribes with backoff
/// whenever the channel closes (a dropped connection, a refused or unanswered open, a server
/// or store restart). The driver opens and closes the connection (`openChannel`,
/// `closeChannel`) and reports what comes back (`channel`, `channelClosed`).
extension NodeAgent {
    /// Where the channel stands.
    enum ChannelState: Sendable, Equatable {
        case closed
        /// An open was asked for; `subscribed` (or a close) is awaited.
        case opening
        case open
    }

    /// Opens the channel unless it is open or opening, or the node has no id yet (the
    /// registration's answer subscribes).
    mutating func subscribe(now: Timestamp, _ effects: inout EffectList) {
        guard channel == .closed, let id = durable.nodeID else { return }
        channel = .opening
        counters.subscriptionsOpened += 1
        // Each open is signed at a later second than the previous one: an identical signature
        // would be refused as a replay.
        let signedAt = Swift.max(now.unixSeconds, lastChannelSignedSecond &+ 1)
        lastChannelSignedSecond = signedAt
        // Today's nodes name themselves in the query (Supabase Realtime's filter); ours sign.
        let query = settings.signsRequests ? [:] : ["nodeId": id.uuidString]
        effects.append(.openChannel(signed("GET", AssignmentChannel.path, query: query, unixSeconds: signedAt)))
        effects.append(.setTimer(.channelOpenTimeout, after: settings.requestTimeout))
    }

    mutating func channelMessage(_ message: AssignmentChannelMessage, now: Timestamp, _ effects: inout EffectList) {
        switch message {
        case .subscribed(let id, let held):
            guard id == durable.nodeID, channel != .closed else {
                counters.unexpectedChannelMessages += 1
                return
            }
            if channel == .opening { effects.append(.cancelTimer(.channelOpenTimeout)) }
            channel = .open
            channelFailures = 0
            counters.subscriptionsConfirmed += 1
            // New versions resync: a claim pushed while the channel was down is work the node
            // holds and must run (else it waits for the reaper). Today's nodes ignore the list.
            guard settings.signsRequests else { return }
            for assignment in held where assignment.nodeID == id {
                let key = ChunkKey(chunkID: assignment.chunkID, attempt: assignment.attempt)
                guard !active.contains(key), !finished.contains(key) else { continue }
                counters.heldChunksRecovered += 1
                receive(assignment, now: now, &effects)
            }
        case .assigned(let assignment):
            guard assignment.nodeID == durable.nodeID else {
                counters.unexpectedChannelMessages += 1
                return
            }
            receive(assignment, now: now, &effects)
        }
    }

    /// The channel closed: `refusal` is the server's answer to the open when it refused it, nil
    /// for a drop (or an open that was never answered). Resubscribe after a backoff; an unknown
    /// key registers first (the registration's answer subscribes).
    mutating func channelClosed(refusal: APIResponse?, now: Timestamp, _ effects: inout EffectList) {
        guard channel != .closed else { return }  // already handled (a timeout, then the close)
        if channel == .opening { effects.append(.cancelTimer(.channelOpenTimeout)) }
        channel = .closed
        counters.channelLosses += 1
        if let refusal, case .unknownNode = ResponseClass(refusal) {
            register(now: now, &effects, becauseUnknown: true)
            return
        }
        channelFailures += 1
        let backoff = Backoff(base: settings.retryBase, max: settings.retryMax)
        effects.append(.setTimer(.resubscribe, after: backoff.delay(failures: channelFailures, using: &random)))
    }

    /// The open was not answered in time: give the connection up and try again later.
    mutating func channelOpenTimedOut(now: Timestamp, _ effects: inout EffectList) {
        guard channel == .opening else { return }
        effects.append(.closeChannel)
        channelClosed(refusal: nil, now: now, &effects)
    }

    /// Closes the channel on purpose (the node id is no longer valid).
    mutating func dropChannel(_ effects: inout EffectList) {
        if channel == .opening { effects.append(.cancelTimer(.channelOpenTimeout)) }
        if channel != .closed { effects.append(.closeChannel) }
        channel = .closed
        effects.append(.cancelTimer(.resubscribe))
    }
}
