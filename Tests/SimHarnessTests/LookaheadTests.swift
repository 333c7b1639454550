import Engine
import Testing

@testable import JobSystem
@testable import SimHarness

/// The World's look-ahead finds a node's index from its actor by arithmetic, without reading
/// the role table (`World.nodeIndex(ofActor:)`): it must agree with the roles for every actor.
@Suite struct LookaheadTests {
    @Test func aNodesIndexByArithmeticIsItsRole() {
        var config = WorldConfig(seed: 4, profile: .fixed)
        config.sentinels = 2
        config.users = [UserSpec(name: "u0"), UserSpec(name: "u1"), UserSpec(name: "u2")]
        config.nodes = (0..<25).map { NodeSpec(name: "n\($0)") }
        let world = World(config)
        var nodesSeen = 0
        for a in 0..<world.roles.count {
            let expected: Int?
            if case .node(let i) = world.roles[a] { expected = i } else { expected = nil }
            #expect(world.nodeIndex(ofActor: ActorID(a)) == expected, "actor \(a) is \(world.roles[a])")
            if expected != nil { nodesSeen += 1 }
        }
        #expect(nodesSeen == 25)
        // Beyond the actors, and a negative index: no node.
        for a in [world.roles.count, world.roles.count + 7, -1, Int(Int32.min)] {
            #expect(world.nodeIndex(ofActor: ActorID(a)) == nil)
        }
    }

    @Test func aWorldWithoutNodesHasNoNodeIndex() {
        let world = World(WorldConfig(seed: 4, profile: .fixed))
        for a in 0..<world.roles.count + 2 { #expect(world.nodeIndex(ofActor: ActorID(a)) == nil) }
    }
}
