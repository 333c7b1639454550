import Engine
import Scenarios
import SimHarness
import JobSystem
import Testing

/// No result is lost to a retry (issue 15). Nodes read answers as they cross HTTP (status and
/// body, never a typed error), sign with real Ed25519, and the network loses, duplicates and
/// reorders requests and responses: a node's retry must never be refused as a replay of its
/// own earlier attempt, and a duplicate of an attempt must never make the node drop a result.
@Suite("Retry safety")
struct RetrySafetyTests {
    /// `lossy-network` made harsher (a fifth of messages lost, a third duplicated, responses
    /// included) and `store-restart` (statements failing fast with 503, retried within the
    /// second): no node drops a completion and every job completes.
    @Test(arguments: ["lossy-network", "store-restart"])
    func noCompletionIsLostToARetry(_ name: String) throws {
        let s = try #require(Catalogue.named(name))
        var plan = s.plan(seed: 3, profile: .fixed)
        if name == "lossy-network" {
            plan.at(.seconds(Int64(11)), .setLink(LinkModel(loss: 0.2, duplication: 0.35, reorder: 0.2)))
        }
        let (world, outcome) = World.run(plan)
        #expect(outcome.violations.isEmpty, "\(outcome.violations.prefix(3))")
        #expect(outcome.jobsTotal > 0 && outcome.jobsCompleted == outcome.jobsTotal)
        var sent = 0, rejected = 0, retries = 0
        for i in 0..<world.nodeCount {
            guard let c = world.nodeAgent(i)?.counters else { continue }
            sent += c.completionsSent
            rejected += c.completionsRejected
            retries += c.retries
        }
        #expect(retries > 0, "the faults made nodes retry")
        #expect(sent > outcome.measures.chunksCompleted, "some completions were sent more than once")
        #expect(rejected == 0, "\(rejected) completions dropped by their node")
    }
}
