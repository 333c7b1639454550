import Foundation
import Scenarios
import SimHarness
import JobSystem
import Testing

/// Trace files: recording, replay, divergence reports, diff, and the committed traces in
/// `Traces/`. Small scenarios only (each run is well under a second in a debug build).
@Suite struct TraceTests {
    /// A cheap run with faults: three nodes, one job, nine attacks.
    static let spec = RunSpec(scenario: "attacks", seed: 1, profile: "fixed")

    /// The file recorded once for the tests that only edit it.
    static let recorded: TraceFile = {
        do { return try TraceFile.recording(spec).file } catch { fatalError("recording \(spec): \(error)") }
    }()

    /// `Traces/` at the package root, found from this file's path.
    static var tracesFolder: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Traces")
    }

    @Test func recordedTraceReplaysToItsDigest() throws {
        let file = Self.recorded
        #expect(file.header.events == UInt64(file.events.count))
        #expect(file.header.spec == Self.spec)
        let reparsed = try TraceFile.parse(file.text)
        #expect(reparsed == file)
        #expect(try Replay.replay(reparsed) == .reproduced(digest: file.header.digest))
    }

    @Test func sameRunTwiceGivesByteIdenticalText() throws {
        let first = try TraceFile.record(Self.spec).text
        let second = try TraceFile.record(Self.spec).text
        #expect(Array(first.utf8) == Array(second.utf8))
        #expect(first == Self.recorded.text)
    }

    @Test func headerIsFirstLineWithFormatAndKindFirst() {
        let lines = Self.recorded.text.split(separator: "\n")
        #expect(lines.count == Self.recorded.events.count + 1)
        #expect(lines[0].hasPrefix("{\"format\":1,\"kind\":\"header\",\"scenario\":\"attacks\",\"seed\":1,\"profile\":\"fixed\""))
        #expect(Self.recorded.text.hasSuffix("}\n"))
    }

    @Test(arguments: [1, 37, 400])
    func editedDigestDivergesAtThatEvent(index: Int) throws {
        var file = Self.recorded
        let original = file.events[index - 1]
        let edited = original.replacingOccurrences(of: "\"d\":\"", with: "\"d\":\"f00d")
        file.events[index - 1] = edited
        #expect(try Replay.replay(file) == .diverged(Divergence(index: index, expected: edited, got: original)))
    }

    @Test func editedContentDivergesAtThatEvent() throws {
        var file = Self.recorded
        let index = 123
        let original = file.events[index - 1]
        let edited = original.replacingOccurrences(of: "\"e\":\"", with: "\"e\":\"tampered ")
        #expect(edited != original)
        file.events[index - 1] = edited
        #expect(try Replay.replay(file) == .diverged(Divergence(index: index, expected: edited, got: original)))
    }

    @Test func changedSeedDivergesWhereTheOtherSeedsRunDiffers() throws {
        var file = Self.recorded
        file.header.spec.seed = 2
        let other = try TraceFile.recording(file.header.spec).file
        guard let first = Replay.diff(Self.recorded, other).first else {
            Issue.record("seeds 1 and 2 gave the same events")
            return
        }
        let result = try Replay.replay(file)
        #expect(result == .diverged(first))
        if case .diverged(let d) = result {
            #expect(d.index > 0)
            #expect(d.expected == Self.recorded.events[d.index - 1])
        }
    }

    @Test func truncatedTraceDivergesAfterItsLastLine() throws {
        var file = Self.recorded
        file.events.removeLast(5)
        let n = file.events.count
        #expect(try Replay.replay(file) == .diverged(Divergence(index: n + 1, expected: nil, got: Self.recorded.events[n])))
    }

    @Test func editedHeaderDigestDivergesAtTheHeader() throws {
        var file = Self.recorded
        file.header.digest = "0000000000000000"
        #expect(try Replay.replay(file) == .diverged(Divergence(index: 0, expected: file.header.line, got: Self.recorded.header.line)))
        var noViolations = Self.recorded
        noViolations.header.violations = ["single-assignee"]
        guard case .diverged(let d) = try Replay.replay(noViolations) else {
            Issue.record("an edited violation list reproduced")
            return
        }
        #expect(d.index == 0)
    }

    @Test func diffNamesFirstDifferenceAndCounts() {
        var b = Self.recorded
        b.events[9] = "{\"i\":10}"
        b.events[19] = "{\"i\":20}"
        b.events.removeLast(3)
        let d = Replay.diff(Self.recorded, b)
        #expect(d.headersEqual)
        #expect(!d.identical)
        #expect(d.commonPrefix == 9)
        #expect(d.differingPositions == 5)
        #expect(d.eventsA == Self.recorded.events.count && d.eventsB == Self.recorded.events.count - 3)
        #expect(d.first == Divergence(index: 10, expected: Self.recorded.events[9], got: "{\"i\":10}"))
        #expect(Replay.diff(Self.recorded, Self.recorded).identical)
    }

    @Test func malformedFilesAreRejected() {
        #expect(throws: TraceFileError.empty) { try TraceFile.parse("") }
        #expect(throws: (any Error).self) { try TraceFile.parse("{\"i\":1}\n") }
        let future = Self.recorded.text.replacingOccurrences(of: "{\"format\":1,", with: "{\"format\":2,")
        #expect(throws: (any Error).self) { try TraceFile.parse(future) }
    }

    @Test func everyCommittedTraceReplays() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.tracesFolder.path)
            .filter { $0.hasSuffix(".jsonl") }.sorted()
        #expect(!names.isEmpty, "no traces in \(Self.tracesFolder.path)")
        for name in names {
            let path = Self.tracesFolder.appendingPathComponent(name).path
            let file = try TraceFile.read(path: path)
            let result = try Replay.replay(file)
            #expect(result == .reproduced(digest: file.header.digest), "\(name)")
        }
    }

    /// For every defect of today's system, a trace of its scenario under `fixed+<defect>`,
    /// shrunk, that breaks the invariant catching it; `scripts/record-traces` records them all.
    @Test func everyDefectHasAShrunkTrace() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.tracesFolder.path)
        let script = try String(
            contentsOf: Self.tracesFolder.deletingLastPathComponent().appendingPathComponent("scripts/record-traces"),
            encoding: .utf8)
        for d in Defect.allCases {
            let suffix = ".fixed+\(d.rawValue).seed1.shrunk-\(d.caughtBy.rawValue).jsonl"
            let matching = names.filter { $0.hasSuffix(suffix) }
            #expect(matching.count == 1, "one trace *\(suffix), found \(matching)")
            #expect(script.contains("\n\(d.rawValue) "), "scripts/record-traces records \(d.rawValue)")
            guard let name = matching.first else { continue }
            let file = try TraceFile.read(path: Self.tracesFolder.appendingPathComponent(name).path)
            #expect(file.header.spec.profile == "fixed+\(d.rawValue)")
            #expect(file.header.violations.contains(d.caughtBy.rawValue), "\(name) breaks \(d.caughtBy.rawValue)")
            #expect(!file.header.spec.reduction.isEmpty || file.header.events < 5_000, "\(name) is shrunk")
        }
    }
}

/// Run specs: JSON, validation, and what a reduction removes.
@Suite struct RunSpecTests {
    @Test func jsonRoundTripIncludingLargeSeeds() throws {
        let specs = [
            RunSpec(scenario: "attacks", seed: 1, profile: "legacy"),
            RunSpec(
                scenario: "node-crash", seed: UInt64.max - 1, profile: "fixed+competing-reclaim",
                reduction: .init(droppedActions: [3, 1, 3], nodeLimit: 2, submissionLimit: 1)),
        ]
        for spec in specs {
            let text = spec.json.canonicalString
            #expect(try RunSpec(json: JSONValue.parse(text)) == spec)
        }
        #expect(specs[1].reduction.droppedActions == [1, 3])
        #expect(specs[1].json["seed"] == .string("18446744073709551614"))
    }

    @Test func unknownNamesAndBadReductionsAreClearErrors() {
        #expect(throws: RunSpecError.unknownScenario("nope")) { try RunSpec(scenario: "nope", seed: 1, profile: "fixed").plan() }
        #expect(throws: RunSpecError.unknownProfile("fixed+nope")) {
            try RunSpec(scenario: "attacks", seed: 1, profile: "fixed+nope").plan()
        }
        #expect(throws: RunSpecError.actionOutOfRange(index: 9, actions: 9)) {
            try RunSpec(scenario: "attacks", seed: 1, profile: "fixed", reduction: .init(droppedActions: [9])).plan()
        }
        #expect(throws: RunSpecError.negativeLimit("nodeLimit", -1)) {
            try RunSpec(scenario: "attacks", seed: 1, profile: "fixed", reduction: .init(nodeLimit: -1)).plan()
        }
    }

    @Test func reductionKeepsFirstNodesAndSubmissionsAndDropsActionsOnRemovedNodes() throws {
        // node-crash: four nodes; crash and restart of nodes 0 and 1; four submissions from user 0.
        let full = try RunSpec(scenario: "node-crash", seed: 1, profile: "fixed").plan()
        #expect(RunSize(of: full).description == "actions=4 nodes=4 submissions=4")
        let spec = RunSpec(
            scenario: "node-crash", seed: 1, profile: "fixed",
            reduction: .init(droppedActions: [0], nodeLimit: 1, submissionLimit: 1))
        let plan = try spec.plan()
        #expect(plan.world.nodes.map(\.name) == ["n0"])
        #expect(plan.world.users.map(\.submissions.count) == [1])
        // Action 0 (crash node 0) dropped by hand; 1 and 3 name node 1, which is gone.
        #expect(try spec.keptActions() == [2])
        #expect(plan.actions == [full.actions[2]])
        let size = RunSize(of: plan)
        #expect(size.actions == 1 && size.nodes == 1 && size.submissions == 1)
    }

    @Test func submissionLimitCountsOverUsersInOrder() throws {
        // happy-path: user 0 submits two jobs, users 1 and 2 one each.
        let plan = try RunSpec(scenario: "happy-path", seed: 1, profile: "fixed", reduction: .init(submissionLimit: 3)).plan()
        #expect(plan.world.users.map(\.submissions.count) == [2, 1, 0])
    }
}
