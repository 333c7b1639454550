import Testing

@testable import JobSystem

@Suite("Assignment channel handler")
struct AssignmentChannelHandlerTests {
    typealias F = StoreFixtures

    @Test func listsTheChunksRunningOnTheNode() throws {
        var bench = HandlerBench()
        let n1 = try bench.onlineNode(1)
        let n2 = try bench.onlineNode(2)
        let job = try bench.createJob(iterations: 3_000)
        let assignments = try bench.assignAll(job, to: n1)
        #expect(bench.complete(1, assignments[0]).status == 200)
        let opening = bench.handlers.openAssignmentChannel(bench.nodeRequest(1, "GET", AssignmentChannel.path), store: &bench.store, now: bench.now)
        // The completed chunk is no longer held; the two others are, in creation order.
        #expect(opening == .opened(.subscribed(nodeID: n1, held: Array(assignments[1...]))))
        #expect(opening.nodeID == n1)
        let other = bench.handlers.openAssignmentChannel(bench.nodeRequest(2, "GET", AssignmentChannel.path), store: &bench.store, now: bench.now)
        #expect(other == .opened(.subscribed(nodeID: n2, held: [])))
    }

    @Test func refusesWhatEveryNodeRouteRefuses() throws {
        var bench = HandlerBench()
        _ = try bench.onlineNode(1)
        func open(_ request: APIRequest) -> HandlerOutcome? {
            if case .refused(let outcome) = bench.handlers.openAssignmentChannel(request, store: &bench.store, now: bench.now) { return outcome }
            return nil
        }
        // Unknown key: its own code, so the node registers again.
        #expect(open(bench.nodeRequest(3, "GET", AssignmentChannel.path))?.response.errorCode == "unknown_node")
        #expect(open(bench.nodeRequest(1, "GET", AssignmentChannel.path, sign: false))?.error == .signature(.unsigned))
        // A captured open cannot be replayed to listen in.
        let request = bench.nodeRequest(1, "GET", AssignmentChannel.path)
        #expect(open(request) == nil)
        #expect(open(request)?.error == .signature(.replayed))
        #expect(open(bench.nodeRequest(1, "POST", AssignmentChannel.path))?.status == 405)
        #expect(open(bench.nodeRequest(1, "GET", "/elsewhere"))?.status == 404)
    }

    @Test func todaysNodesNameTheirNodeInTheQuery() throws {
        var bench = HandlerBench(.legacy)
        let id = try bench.onlineNode(1)
        let named = APIRequest(method: "GET", path: AssignmentChannel.path, query: ["nodeId": id.uuidString])
        #expect(bench.handlers.openAssignmentChannel(named, store: &bench.store, now: bench.now) == .opened(.subscribed(nodeID: id, held: [])))
        let missing = APIRequest(method: "GET", path: AssignmentChannel.path)
        guard case .refused(let outcome) = bench.handlers.openAssignmentChannel(missing, store: &bench.store, now: bench.now) else {
            Issue.record("an open naming no node is refused")
            return
        }
        #expect(outcome.status == 400 && outcome.response.errorCode == "invalid_query")
    }
    /// Opening the channel renews the claims of the chunks it lists: the node takes them up
    /// now, as its next heartbeat would say. Without it a node back from a partition, whose
    /// claims passed the claim timeout while it was away, lost a chunk to the reaper in the
    /// seconds before that heartbeat (swarm seeds 316 and 826). The counterfactual: the same
    /// reap without the open takes both chunks.
    @Test(arguments: [true, false])
    func openingRenewsTheClaimsItLists(opens: Bool) throws {
        var bench = HandlerBench()
        let n1 = try bench.onlineNode(1)
        let job = try bench.createJob(iterations: 2_000)
        let assignments = try bench.assignAll(job, to: n1)
        let claimTimeout = bench.profile.claimTimeout
        let window = try #require(bench.profile.claimRenewalWindow)
        // Back after the claim timeout: the open comes just after it, the reaper 10 s later.
        bench.now = bench.now + claimTimeout + .seconds(1)
        bench.store.now = bench.now
        if opens {
            let opening = bench.handlers.openAssignmentChannel(bench.nodeRequest(1, "GET", AssignmentChannel.path), store: &bench.store, now: bench.now)
            #expect(opening == .opened(.subscribed(nodeID: n1, held: assignments)))
        }
        let reapAt = bench.now + .seconds(10)
        let reaped = try bench.store.reapStaleChunks(
            claimedBefore: reapAt - claimTimeout, renewedSince: reapAt - window,
            liveClaimedBefore: reapAt - bench.profile.liveClaimLimit, now: reapAt)
        // Claimed together, reaped in chunk id order: compared as sets.
        #expect(reaped.count == (opens ? 0 : 2))
        #expect(Set(reaped) == (opens ? [] : Set(assignments.map(\.chunkID))))
    }
}
