import Engine
import Scenarios
import SimHarness
import JobSystem
import Testing

/// The measure-based expectations and the invariants of issue 12 fire when what they watch
/// goes wrong, and the `most-free-slots` check agrees with the planner on the plans it makes
/// (the check is written from the rule, not from the planner's code).
@Suite("Expectations and most-free-slots")
struct ExpectationTests {
    // MARK: most-free-slots

    static func node(_ k: UInt8, owner: UserID? = nil, capacity: Int = 4, running: Int = 0) -> AssignmentSnapshot.Node {
        AssignmentSnapshot.Node(
            id: NodeID(uuidString: "00000000-0000-0000-0000-0000000000\(hex(k))")!, userID: owner,
            ownerDiscordID: nil, capacity: capacity, running: running, permittedUsers: [])
    }

    static func hex(_ k: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(k >> 4)], digits[Int(k & 15)]])
    }

    static let user = UserID(uuidString: "00000000-0000-0000-0000-00000000aaaa")!
    static let other = UserID(uuidString: "00000000-0000-0000-0000-00000000bbbb")!

    static func snapshot(nodes: [AssignmentSnapshot.Node], chunks: Int, access: AccessType = .public) -> AssignmentSnapshot {
        let job = AssignmentSnapshot.Job(
            id: JobID(uuidString: "00000000-0000-0000-0000-00000000cccc")!, userID: user, accessType: access, discordServerID: nil)
        let list = (0..<chunks).map { i in
            AssignmentSnapshot.Chunk(
                id: ChunkID(uuidString: "00000000-0000-0000-0000-0000000001\(hex(UInt8(i)))")!, jobID: job.id,
                pendingSeq: Int64(i))
        }
        return AssignmentSnapshot(chunks: list, nodes: nodes, jobs: [job], morePending: false)
    }

    var observer: Observer { Observer(profile: .fixed, compute: .standIn) }

    @Test(arguments: [AccessType.public, .private])
    func thePlannersPlansFollowTheRule(access: AccessType) {
        let nodes = [
            Self.node(1, owner: Self.user, running: 3), Self.node(2, owner: Self.user), Self.node(3, owner: Self.other, running: 1),
            Self.node(4, owner: Self.user, capacity: 8, running: 2),
        ]
        let s = Self.snapshot(nodes: nodes, chunks: 12, access: access)
        let plan = AssignmentPlanner.plan(s, guilds: GuildDirectory(growsFilters: true))
        #expect(!plan.isEmpty)
        #expect(observer.planProblem(plan, from: s) == nil)
    }

    @Test func aPlanIgnoringRunningChunksIsCaught() {
        // Node 1 has one free slot, node 2 four: the rule sends the first chunk to node 2.
        let s = Self.snapshot(nodes: [Self.node(1, running: 3), Self.node(2)], chunks: 1)
        let wrong = [PlannedAssignment(chunkID: s.chunks[0].id, nodeID: s.nodes[0].id)]
        #expect(observer.planProblem(wrong, from: s) != nil)
    }

    @Test func tiesGoToTheLowestID() {
        let s = Self.snapshot(nodes: [Self.node(1), Self.node(2)], chunks: 1)
        let highest = [PlannedAssignment(chunkID: s.chunks[0].id, nodeID: s.nodes[1].id)]
        let lowest = [PlannedAssignment(chunkID: s.chunks[0].id, nodeID: s.nodes[0].id)]
        #expect(observer.planProblem(highest, from: s) != nil)
        #expect(observer.planProblem(lowest, from: s) == nil)
    }

    @Test func aChunkLeftOutWhileASlotIsFreeIsCaught() {
        let s = Self.snapshot(nodes: [Self.node(1, capacity: 1)], chunks: 2)
        // One slot: the second chunk may be left out, the first may not.
        #expect(observer.planProblem([PlannedAssignment(chunkID: s.chunks[0].id, nodeID: s.nodes[0].id)], from: s) == nil)
        #expect(observer.planProblem([PlannedAssignment(chunkID: s.chunks[1].id, nodeID: s.nodes[0].id)], from: s) != nil)
    }

    // MARK: Bounds derived from the profile

    @Test func boundsFollowTheThresholds() {
        let p = Profile.fixed
        let prompt = Expectations.promptBound(p, link: .standard)
        #expect(prompt > p.debounce.seconds && prompt < p.fallbackPeriod.seconds)
        var slower = p
        slower.debounce = .seconds(2)
        #expect(abs((Expectations.promptBound(slower, link: .standard) - prompt) - (2 - p.debounce.seconds)) < 1e-9)
        #expect(abs(Expectations.fallbackBound(p, link: .standard) - (p.fallbackPeriod.seconds + prompt)) < 1e-9)
        let fp = Expectations.falsePositiveBound(designRate: 0.001, probes: 10_000)
        #expect(fp > 0.001 && fp < 0.003)
        #expect(Expectations.falsePositiveBound(designRate: 0.001, probes: 1_000_000) < fp)
    }

    // MARK: The expectations fire

    @Test func promptAssignmentFiresWithoutTheTrigger() throws {
        // Today's missing trigger: every chunk waits for the 30 s fallback.
        let scenario = try #require(Catalogue.named("happy-path"))
        let v = scenario.check(seed: 1, profile: .fixed(with: .missingTrigger))
        #expect(v.violated.contains(.promptAssignment))
    }

    @Test func noDuplicateWorkFiresWhenANodeIsCutOff() throws {
        // node-crash's crashed nodes lose their chunks to others, who compute them again:
        // duplicates, which only a scenario without such faults may rule out.
        var plan = try #require(Catalogue.named("node-crash")).plan(seed: 1, profile: .fixed)
        plan.expect.noDuplicateWork = true
        let (_, o) = World.run(plan)
        #expect(o.measures.duplicateExecutions > 0)
        #expect(o.violated.contains(.noDuplicateWork))
    }

    @Test func filterFalsePositivesFiresOnTodaysFilters() throws {
        var plan = try #require(Catalogue.named("access-control")).plan(seed: 1, profile: .fixed(without: .growGuildFilters))
        plan.expect.maxFilterFalsePositiveRate = Expectations.falsePositiveBound(designRate: GuildBloomFilter.falsePositiveRate, probes: 10_000)
        let (_, o) = World.run(plan)
        #expect(o.violated.contains(.filterFalsePositives))
    }

    @Test func theNewScenariosAreCleanUnderFixed() throws {
        for name in ["intruder", "odd-iterations", "late-result", "lost-notifications", "backlog"] {
            let v = try #require(Catalogue.named(name)).check(seed: 2, profile: .fixed)
            #expect(v.violated.isEmpty, "\(name): \(v.outcome.violations.first?.description ?? "")")
        }
    }
}
