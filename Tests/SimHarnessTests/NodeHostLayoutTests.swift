import Engine
import Testing

@testable import JobSystem
@testable import SimHarness

/// The layout of a simulated node (`NodeHost`, its `NodeAgent` inline): a fleet keeps its nodes
/// in one array, and at 10,000 nodes every cache line a heartbeat touches is a miss. These
/// bounds keep what a heartbeat and its answer read together at the front, so a field added
/// in the wrong place (Swift lays a struct out in declaration order) fails here, not in a
/// profile months later.
@Suite struct NodeHostLayoutTests {
    static let line = 64

    static func offset<Root, Value>(_ path: KeyPath<Root, Value>) -> Int {
        MemoryLayout<Root>.offset(of: path)!
    }

    /// Every field of the first list starts before every field of the second.
    static func allBefore<Root>(_ hot: [PartialKeyPath<Root>], _ cold: [PartialKeyPath<Root>]) -> Bool {
        let hotEnd = hot.map { MemoryLayout<Root>.offset(of: $0)! }.max()!
        let coldStart = cold.map { MemoryLayout<Root>.offset(of: $0)! }.min()!
        return hotEnd < coldStart
    }

    @Test func theHostsFirstLineHoldsWhatEveryEventReads() {
        // The actor, the running flag and the timers (a heartbeat arms and cancels its own and
        // its request's timeout) in the first cache line; the agent right after it.
        #expect(Self.offset(\NodeHost.actor) < Self.line)
        #expect(Self.offset(\NodeHost.isRunning) < Self.line)
        #expect(Self.offset(\NodeHost.claimRequested) < Self.line)
        #expect(Self.offset(\NodeHost.timers) + MemoryLayout<NodeTimerHandles>.size <= Self.line)
        #expect(Self.offset(\NodeHost.agent) <= Self.line)
        #expect(
            Self.allBefore(
                [\NodeHost.actor, \NodeHost.isRunning, \NodeHost.timers, \NodeHost.agent],
                [\NodeHost.channelGeneration, \NodeHost.channelDeliveredUntil, \NodeHost.durable, \NodeHost.stalled,
                 \NodeHost.upgradedVersion]))
    }

    @Test func theAgentsHeartbeatFieldsComeFirst() {
        let hot: [PartialKeyPath<NodeAgent>] = [
            \.nextSerial, \.operations, \.durable, \.running, \.settings, \.signer, \.isClaimed, \.booted, \.counters,
        ]
        let cold: [PartialKeyPath<NodeAgent>] = [
            \.random, \.queue, \.active, \.finished, \.configs, \.configUse, \.rotations, \.rotationUse,
            \.channelFailures, \.lastChannelSignedSecond, \.channel, \.registration,
        ]
        #expect(Self.allBefore(hot, cold))
        // Inside them, the parts a heartbeat reads first: the node id and incarnation of the
        // durable state, the settings' flags and intervals before its names.
        #expect(
            Self.allBefore(
                [\NodeAgent.Durable.nodeID, \NodeAgent.Durable.incarnation],
                [\NodeAgent.Durable.keySeed, \NodeAgent.Durable.claimCode]))
        #expect(
            Self.allBefore(
                [\NodeAgent.Settings.signsRequests, \NodeAgent.Settings.typedWire,
                 \NodeAgent.Settings.heartbeatInterval, \NodeAgent.Settings.requestTimeout],
                [\NodeAgent.Settings.name, \NodeAgent.Settings.platform, \NodeAgent.Settings.version,
                 \NodeAgent.Settings.retryBase, \NodeAgent.Settings.retryMax]))
    }

    /// A node host stays within twelve cache lines (it was 696 bytes before its operation and
    /// request-timeout entries moved inline, which replaced two or three heap blocks per node
    /// with 64 inline bytes), and the span a heartbeat reads (the host's first line to the
    /// agent's counters) is at most seven of them.
    @Test func aHeartbeatSpansFewLines() {
        #expect(MemoryLayout<NodeHost>.size <= 12 * Self.line)
        let countersStart = Self.offset(\NodeHost.agent) + Self.offset(\NodeAgent.counters)
        // The heartbeat counters are the first three `UInt32`s of `Counters` (its storage order).
        #expect((countersStart + 12 + Self.line - 1) / Self.line <= 7)
    }
}
