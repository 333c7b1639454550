import Engine
import JobSystem
import Scenarios
import SimHarness
import Testing

/// The typed wire (`WorldConfig.wire = .typed`) is allowed in large fleets only because it
/// decides nothing differently: a 100-node fleet (the `bench fleet` workload: stand-in
/// signatures, crashes, the reaper) gives the same digest of store decisions (every API
/// transaction's time, route, status and error code, every committed row change) on both wires,
/// for several seeds. The message-level round trip is `SystemTests/TypedWireTests`.
@Suite("Typed wire: same decisions as the JSON wire")
struct TypedWireFleetTests {
    static func run(seed: UInt64, wire: WireChoice) -> World {
        var workload = FleetWorkload(nodes: 100, jobs: 10, seed: seed)
        workload.wire = wire
        return workload.run(keepingDecisions: true)
    }

    @Test(arguments: [1, 2, 3, 7] as [UInt64])
    func hundredNodeFleetDecidesTheSameOnBothWires(seed: UInt64) throws {
        let json = Self.run(seed: seed, wire: .json)
        let typed = Self.run(seed: seed, wire: .typed)
        let a = try #require(json.decisions)
        let b = try #require(typed.decisions)
        #expect(a.count > 10_000, "the digest saw the run's decisions (\(a.count) words)")
        #expect(a == b, "store decisions differ: json \(a), typed \(b)")
        // The same run otherwise: as many events, the same end, the same counts.
        #expect(json.sim.eventsDelivered == typed.sim.eventsDelivered)
        #expect(json.sim.now == typed.sim.now)
        #expect(json.observer.measures.chunksCompleted == typed.observer.measures.chunksCompleted)
        #expect(json.observer.measures.apiRejections == typed.observer.measures.apiRejections)
        #expect(json.observer.violatedInvariants.isEmpty && typed.observer.violatedInvariants.isEmpty)
        #expect(json.store.jobCount(.completed) == 10 && typed.store.jobCount(.completed) == 10)
        // What crossed the wire did differ (bytes on one, values on the other).
        #expect(json.sim.digest != typed.sim.digest)
    }

    @Test func theCatalogueAndTheDefaultRunTheJSONWire() {
        #expect(WorldConfig(seed: 1, profile: .fixed).wire == .json)
        #expect(FleetWorkload(nodes: 10, jobs: 1, seed: 1).world.wire == .json)
        for scenario in Catalogue.all {
            for profile in scenario.checkedProfiles {
                #expect(scenario.plan(seed: 1, profile: profile).world.wire == .json, "\(scenario.name) runs the real wire")
            }
        }
    }
}
