import Testing

@testable import JobSystem

/// How a node agent matches answers and timeouts to its requests (`NodeAgent.takeInFlight`: the
/// operation whose `inFlight` is the request's id), over long seeded runs of heartbeats, config
/// fetches and completions whose requests are answered (accepted or refused), timed out, or
/// answered late, in any order, with retries fired as the agent arms them.
///
/// The reference is a plain ledger kept by the test from the agent's own effects: every request
/// id ever sent, and whether it is still out. An answer or a timeout for a request that is out
/// is handled exactly once (the answer cancels the request's timeout and is counted for its
/// kind; a timeout is counted); for any other id it is late (an answer counted in
/// `lateResponses`, a timeout ignored) and has no effect at all. At every step the agent has as
/// many requests out as the ledger says.
@Suite struct NodeAgentRequestMatchingTests {
    typealias Rig = NodeAgentRig

    enum Ledger {
        case out(path: String)
        case done
    }

    @Test(arguments: [UInt64(1), 2, 3, 4, 5, 6])
    func answersAndTimeoutsMatchTheRequestsOut(seed: UInt64) throws {
        var rng = SystemTestRNG(state: seed)
        var rig = Rig(durable: .init(keySeed: Rig.seed, nodeID: Rig.nodeID, claimCode: "ABC123"), cores: 2, maxParallel: 2)
        var ledger: [UInt64: Ledger] = [:]
        var sentOrder: [UInt64] = []
        var retries: [NodeTimer] = []
        var computing: [ChunkAssignment] = []
        var nextChunk: UInt64 = 1
        var matched = 0, late = 0

        func record(_ effects: [NodeAgent.Effect]) {
            for effect in effects {
                switch effect {
                case .send(let id, let request):
                    #expect(ledger[id] == nil, "request ids are never reused")
                    ledger[id] = .out(path: request.path)
                    sentOrder.append(id)
                case .setTimer(let timer, _):
                    if case .retry = timer { retries.append(timer) }
                case .startCompute(let order):
                    computing.append(order.assignment)
                default:
                    break
                }
            }
        }

        record(rig.feed(.boot))
        for _ in 0..<3_000 {
            rig.now = rig.now + .milliseconds(Int64(rng.next() % 3_000))
            switch rng.next() % 10 {
            case 0:
                record(rig.feed(.timer(.heartbeat)))
            case 1 where nextChunk <= 200:
                record(rig.feed(.channel(.assigned(Rig.assignment(nextChunk)))))
                nextChunk += 1
            case 2 where !computing.isEmpty:
                let a = computing.remove(at: Int(rng.next() % UInt64(computing.count)))
                record(rig.feed(.computeFinished(chunkID: a.chunkID, attempt: a.attempt, result: Rig.result())))
            case 3 where !retries.isEmpty:
                record(rig.feed(.timer(retries.remove(at: Int(rng.next() % UInt64(retries.count))))))
            case 4, 5, 6, 7, 8:
                // A request, usually one of the latest, sometimes any ever sent (then often late).
                guard !sentOrder.isEmpty else { continue }
                let pick = rng.next() % 4 == 0 ? Int(rng.next() % UInt64(sentOrder.count)) : sentOrder.count - 1 - Int(rng.next() % UInt64(min(6, sentOrder.count)))
                let id = sentOrder[pick]
                let before = rig.agent.counters
                if rng.next() % 4 == 0 {
                    let effects = rig.feed(.timer(.requestTimeout(id)))
                    if case .out = ledger[id] {
                        #expect(rig.agent.counters.requestTimeouts == before.requestTimeouts + 1)
                        ledger[id] = .done
                        record(effects)
                        matched += 1
                    } else {
                        #expect(effects.isEmpty && rig.agent.counters == before)
                    }
                } else {
                    let accept = rng.next() % 3 != 0
                    let path: String
                    if case .out(let p) = ledger[id] { path = p } else { path = "" }
                    let response: APIResponse
                    switch (accept, path) {
                    case (false, _): response = Rig.raw(503, #"{"error":"unavailable","message":"try later"}"#)
                    case (true, "/config-fetch"): response = Rig.okRaw(Rig.config.canonicalString)
                    case (true, "/chunk-complete"): response = Rig.ok(["success": true, "jobComplete": false, "duplicate": false])
                    default: response = Rig.ok(["ok": true])
                    }
                    let effects = rig.feed(.response(requestID: id, response))
                    if case .out = ledger[id] {
                        #expect(effects.contains(.cancelTimer(.requestTimeout(id))))
                        #expect(rig.agent.counters.lateResponses == before.lateResponses)
                        if accept && path == "/node-heartbeat" {
                            #expect(rig.agent.counters.heartbeatsAcknowledged == before.heartbeatsAcknowledged + 1)
                        }
                        if accept && path == "/chunk-complete" {
                            #expect(rig.agent.counters.completionsAccepted == before.completionsAccepted + 1)
                        }
                        if !accept && path == "/node-heartbeat" {
                            #expect(rig.agent.counters.heartbeatsFailed == before.heartbeatsFailed + 1)
                        }
                        ledger[id] = .done
                        record(effects)
                        matched += 1
                    } else {
                        #expect(effects.isEmpty)
                        #expect(rig.agent.counters.lateResponses == before.lateResponses + 1)
                        late += 1
                    }
                }
            default:
                continue
            }
            let out = ledger.values.filter { if case .out = $0 { return true } else { return false } }.count
            #expect(rig.agent.operations.values.filter { $0.inFlight != nil }.count == out)
        }
        // The run exercised both sides, and the table holds its inline entry and more at times.
        #expect(matched > 500 && late > 100)
        #expect(rig.agent.counters.completionsAccepted > 20)
    }
}
