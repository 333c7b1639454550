/// Sending operations' requests, and routing each answer or failure to the operation's own
/// handling: the retry policy in one place.
extension NodeAgent {
    /// Starts a new operation with its first request; returns its id.
    @discardableResult
    mutating func start(_ kind: Operation.Kind, now: Timestamp, _ effects: inout EffectList) -> UInt64 {
        let opID = makeID()
        operations[opID] = Operation(kind)
        send(opID, now: now, &effects)
        return opID
    }

    /// Sends the operation's request (again) and arms its timeout.
    mutating func send(_ opID: UInt64, now: Timestamp, _ effects: inout EffectList) {
        guard let k = operations.index(of: opID) else { return }
        if settings.signsRequests { prefetchRequestState() }
        let requestID = makeID()
        let unixSeconds = now.unixSeconds
        // The operation changed in place once, and only its kind copied out (for the request):
        // a copy of the whole operation and a second update copied and destroyed the kind
        // twice (its outlined copy and consume, about 40 instructions a request).
        let (kind, signedAt) = operations.update(at: k) { op -> (Operation.Kind, Int64) in
            op.inFlight = requestID
            // Re-signed with a fresh timestamp: at least one second after the previous
            // attempt's (at most the backoff's worth ahead of the clock, far inside the
            // signature window).
            let signedAt = Swift.max(unixSeconds, op.lastSignedSecond &+ 1)
            op.lastSignedSecond = signedAt
            return (op.kind, signedAt)
        }
        switch kind {
        case .register: counters.registrationsSent += 1
        case .heartbeat: counters.heartbeatsSent += 1
        case .fetchConfig: counters.configFetchesSent += 1
        case .fetchRotation: counters.rotationFetchesSent += 1
        case .complete: counters.completionsSent += 1
        }
        effects.append(.send(requestID: requestID, request(for: kind, unixSeconds: signedAt)))
        effects.append(.setTimer(.requestTimeout(requestID), after: settings.requestTimeout))
    }

    /// Schedules the operation's next try after the backoff for its failure count.
    mutating func retryLater(_ opID: UInt64, _ effects: inout EffectList) {
        guard var op = operations[opID] else { return }
        op.failures += 1
        operations[opID] = op
        counters.retries += 1
        let backoff = Backoff(base: settings.retryBase, max: settings.retryMax)
        effects.append(.setTimer(.retry(opID), after: backoff.delay(failures: op.failures, using: &random)))
    }

    /// The answer to the request of the operation at index `k` of `operations` (just taken out
    /// of flight: `takeInFlightIndex`). The two usual answers are handled through the index;
    /// the rest by the operation's id, as the table may change on the way.
    mutating func answered(at k: Int, _ response: APIResponse, now: Timestamp, _ effects: inout EffectList) {
        let ok = (200..<300).contains(response.status)
        // A heartbeat's acknowledgement carries nothing the node reads: a 2xx is `.success`
        // whatever its body, so it is taken without parsing the body into a tree, and its
        // operation removed where it is (not looked up again by its id). Asked first, of the
        // operation in place: the id and a copy of the operation (`key(at:)`,
        // `self[valueAt:]`, about 120 instructions with the kind's copy and consume) serve
        // only the other answers.
        if ok, operations.withValue(at: k, { $0.isHeartbeat }) {
            operations.remove(at: k)
            heartbeatTaken()
            return
        }
        let opID = operations.key(at: k)
        if ok {
            switch operations[valueAt: k].kind {
            case .complete(let key, _):
                // A completion's answer in the server's own layout: its one flag read without
                // a tree. The claim is forgotten next (the active set, the finished list):
                // asked for before the answer is read.
                prefetchWorkState()
                if let duplicate = RequestHandlers.completionAnswerDuplicate(response.body) {
                    completionTaken(opID, key, duplicate: duplicate)
                    return
                }
            case .register:
                // The server's own layout read without a tree; any other body, the tree's way.
                if let answer = RequestHandlers.readRegistrationAnswer(response.body) {
                    registered(opID, id: answer.id, claimCode: answer.claimCode, claimed: answer.claimed, now: now, &effects)
                    return
                }
            case .fetchConfig(let hash):
                // A config's answer is read from its bytes (`configFetched` verifies and
                // parses them): the tree `ResponseClass` would build of a 2xx's body, which
                // is `.success` whatever it holds, would only be thrown away.
                configFetched(opID, hash, response.body, now: now, &effects)
                return
            default:
                break
            }
        }
        let outcome = ResponseClass(response)
        guard case .success(let body) = outcome else {
            if case .heartbeat? = operations[opID]?.kind, response.errorCode == "node_not_claimed" {
                isClaimed = false  // nodeNotClaimed: waiting for its owner, as expected
            }
            failed(opID, outcome, now: now, &effects)
            return
        }
        guard let op = operations[opID] else { return }
        switch op.kind {
        case .register: registered(opID, body, now: now, &effects)
        case .heartbeat: heartbeatAcknowledged(opID, body)
        case .fetchConfig(let hash): configFetched(opID, hash, response.body, now: now, &effects)
        case .fetchRotation(let id, let hash): rotationFetched(opID, id, hash, body, now: now, &effects)
        case .complete(let key, _): completionTaken(opID, key, body)
        }
    }

    /// A refusal, an error or a timeout (`outcome` is never `.success`).
    mutating func failed(_ opID: UInt64, _ outcome: ResponseClass, now: Timestamp, _ effects: inout EffectList) {
        guard let op = operations[opID] else { return }
        if case .unknownNode = outcome { register(now: now, &effects, becauseUnknown: true) }
        let definitive: Bool
        if case .definitive = outcome { definitive = true } else { definitive = false }
        switch op.kind {
        case .register:
            // Until it works: a node without an id can do nothing else.
            counters.registrationsFailed += 1
            retryLater(opID, &effects)
        case .heartbeat:
            counters.heartbeatsFailed += 1
            operations[opID] = nil
        case .fetchConfig(let hash), .fetchRotation(_, let hash):
            if definitive {
                operations[opID] = nil
                abandon(hash)
            } else {
                retryLater(opID, &effects)
            }
        case .complete(let key, _):
            if definitive {
                counters.completionsRejected += 1
                operations[opID] = nil
                forget(key)
            } else {
                retryLater(opID, &effects)
            }
        }
    }
}
