import Testing

@testable import JobSystem

/// Production traces: a sentinel driven by hand while a `SentinelRecorder` records it, then
/// replayed through a fresh sentinel.
@Suite("Sentinel recordings")
struct SentinelRecordingTests {
    static let t0 = Timestamp(unixSeconds: 1_800_000_000)
    static func id<T>(_ n: UInt64) -> TypedID<T> { TypedID(Identifier(high: 0xF00D, low: n)) }

    /// Boot, LISTEN acknowledged, a notification, a pass that assigns two chunks to two nodes,
    /// a guild event, a failed store call and the fallback pass with its gauges: every kind of
    /// input the production runner hands the sentinel, recorded as it goes.
    static func recorded() throws -> (text: String, inputs: Int) {
        var sentinel = Sentinel(profile: .fixed)
        var recorder = try SentinelRecorder(sink: RecordingBuffer(), sentinel: sentinel)
        var now = t0
        var effects: [Sentinel.Effect] = []
        var lastCall: (id: UInt64, call: StoreCall)?
        func feed(_ input: Sentinel.Input, after: Interval = .milliseconds(1)) throws {
            now = now + after
            try recorder.record(input: input, at: now)
            effects.removeAll()
            sentinel.handle(input, now: now, effects: &effects)
            try recorder.record(effects: effects)
            for case .call(let id, let call) in effects { lastCall = (id, call) }
        }
        let nodes = [
            AssignmentSnapshot.Node(id: id(1), userID: id(7), ownerDiscordID: "123456789012345678", capacity: 2, running: 0, permittedUsers: []),
            AssignmentSnapshot.Node(id: id(2), userID: nil, ownerDiscordID: nil, capacity: 1, running: 0, permittedUsers: [id(8)]),
        ]
        let chunks = [
            AssignmentSnapshot.Chunk(id: id(11), jobID: id(21), pendingSeq: 1),
            AssignmentSnapshot.Chunk(id: id(12), jobID: id(21), pendingSeq: 2, lastNodeID: id(2)),
        ]
        let jobs = [AssignmentSnapshot.Job(id: id(21), userID: id(7), accessType: .public, discordServerID: nil)]
        try feed(.start)
        try feed(.listening)
        try feed(.guild(.members(guild: "g", members: [18_446_744_073_709_551_615, 42])))
        try feed(.notification(StoreNotification(channel: Sentinel.channel, payload: "chunk")))
        try feed(.wakeTimer, after: .milliseconds(50))
        let snapshotCall = try #require(lastCall)
        try feed(.storeReply(callID: snapshotCall.id, .snapshot(AssignmentSnapshot(chunks: chunks, nodes: nodes, jobs: jobs, morePending: false))))
        let applyCall = try #require(lastCall)
        guard case .apply(let plan, _, _) = applyCall.call else { throw RecordingDecodingError("expected an apply") }
        #expect(plan.count == 2)
        let applied = plan.map {
            ChunkAssignment(chunkID: $0.chunkID, jobID: id(21), nodeID: $0.nodeID, attempt: 1, configHash: ConfigHash(hex: String(repeating: "ab", count: 32))!, iterations: 1_000, seedOffset: 0, claimedAt: now)
        }
        try feed(.storeReply(callID: applyCall.id, .applied(applied)))
        try feed(.listenLost)
        try feed(.wakeTimer, after: .seconds(30))
        let failing = try #require(lastCall)
        try feed(.storeReply(callID: failing.id, .failed(.database(sqlState: "57P01", message: "terminating connection"))))
        try feed(.listening)
        try feed(.wakeTimer, after: .seconds(30))
        let snap = try #require(lastCall)
        try feed(.storeReply(callID: snap.id, .snapshot(AssignmentSnapshot(chunks: [], nodes: nodes, jobs: [], morePending: false))))
        let gauges = try #require(lastCall)
        try feed(.storeReply(callID: gauges.id, .gauges(StoreGauges(pendingChunks: 0, runningChunks: 2, onlineNodes: 2))))
        return (recorder.sink.text, recorder.inputs)
    }

    @Test func aRecordingReplaysToTheSameDecisions() throws {
        let (text, inputs) = try Self.recorded()
        #expect(SentinelRecording.isRecording(firstLine: text.prefix { $0 != "\n" }))
        let parsed = try SentinelRecording.parse(text)
        #expect(parsed.header == SentinelRecording.Header(profile: "fixed", callTimeout: .seconds(10)))
        #expect(parsed.steps.count == inputs && inputs == 14)
        #expect(try SentinelReplay.replay(parsed) == .sameDecisions(inputs: inputs))
        // Every line round-trips through its codec.
        for line in text.split(separator: "\n").dropFirst() {
            let json = try JSONValue.parse(Array(line.utf8))
            #expect(try SentinelRecording.Line(json: json).json == json)
        }
    }

    @Test func aCorruptedRecordingDivergesWhereItWasChanged() throws {
        let (text, _) = try Self.recorded()
        var lines = text.split(separator: "\n").map(String.init)
        // Input 5 is the snapshot reply: node 1 now has no room, so the plan must change.
        let index = try #require(lines.firstIndex { $0.contains(#""i":5"#) && $0.contains(#""input""#) })
        #expect(lines[index].contains(#""capacity":2"#))
        lines[index] = lines[index].replacingFirst(#""capacity":2"#, with: #""capacity":0"#)
        let parsed = try SentinelRecording.parse(lines.joined(separator: "\n"))
        guard case .diverged(let d) = try SentinelReplay.replay(parsed) else {
            Issue.record("a changed snapshot must change the decision")
            return
        }
        #expect(d.index == 5)
        guard case .call(_, .apply(let expected, _, _))? = d.expected.first, case .call(_, .apply(let actual, _, _))? = d.actual.first else {
            Issue.record("both sides apply a plan: \(d)")
            return
        }
        #expect(expected.count == 2 && actual.count == 1)
    }

    @Test func aReplyThatFitsNoStepIsADivergenceNotACrash() throws {
        let (text, _) = try Self.recorded()
        var lines = text.split(separator: "\n").map(String.init)
        let index = try #require(lines.firstIndex { $0.contains(#""i":6"#) && $0.contains(#""input""#) })
        // The apply's reply replaced by gauges: the live sentinel could never have been given it.
        let callID = try #require(try JSONValue.parse(Array(lines[index].utf8))["input"]?["callId"]?.intValue)
        lines[index] = #"{"at":0,"i":6,"input":{"callId":\#(callID),"reply":{"onlineNodes":0,"pendingChunks":0,"runningChunks":0,"type":"gauges"},"type":"storeReply"}}"#
        guard case .diverged(let d) = try SentinelReplay.replay(try SentinelRecording.parse(lines.joined(separator: "\n"))) else {
            Issue.record("expected a divergence")
            return
        }
        #expect(d.index == 6 && d.actual.isEmpty)
    }

    /// A snapshot reply keeps its count of online nodes (which the listed nodes, those with a
    /// free slot, no longer give); a reply recorded before the count existed listed every online
    /// node, so its count is the nodes listed; a count below the nodes listed is an error.
    @Test func snapshotRepliesCarryTheirOnlineCount() throws {
        let node = AssignmentSnapshot.Node(id: Self.id(1), userID: nil, ownerDiscordID: "42", capacity: 3, running: 1, permittedUsers: [Self.id(8)])
        let snapshot = AssignmentSnapshot(
            chunks: [], nodes: [node], jobs: [], morePending: true, onlineNodes: 9_999, stalestOnlineNode: Self.id(5))
        let json = SentinelCodec.json(StoreReply.snapshot(snapshot))
        #expect(json["onlineNodes"]?.exactInteger == 9_999)
        #expect(try SentinelCodec.reply(json) == .snapshot(snapshot))
        guard case .object(var fields) = json else { throw RecordingDecodingError("expected an object") }
        fields["onlineNodes"] = nil
        guard case .snapshot(let old) = try SentinelCodec.reply(.object(fields)) else { throw RecordingDecodingError("expected a snapshot") }
        #expect(old.onlineNodes == 1 && old.nodes == [node])
        fields["onlineNodes"] = .number(0)
        #expect(throws: RecordingDecodingError.self) { _ = try SentinelCodec.reply(.object(fields)) }
    }

    @Test func badRecordingsAreErrors() throws {
        let (text, _) = try Self.recorded()
        let lines = text.split(separator: "\n").map(String.init)
        let cases: [String] = [
            "",
            #"{"format":"trace"}"#,
            lines[0].replacingFirst(#""version":1"#, with: #""version":9"#),
            lines[0].replacingFirst(#""profile":"fixed""#, with: #""profile":"nonsense""#) + "\n" + lines[1] + "\n" + lines[2],
            ([lines[0], lines[2]]).joined(separator: "\n"),  // effects before their input
            ([lines[0], lines[1], lines[1]]).joined(separator: "\n"),  // an input twice
            ([lines[0], #"{"i":0,"at":1,"input":{"type":"explode"}}"#]).joined(separator: "\n"),
            ([lines[0], "not json"]).joined(separator: "\n"),
        ]
        for bad in cases {
            #expect(throws: RecordingDecodingError.self, "\(bad.prefix(60))") {
                _ = try SentinelReplay.replay(try SentinelRecording.parse(bad))
            }
        }
        // A recording cut after an input (the runner was killed) replays what it has.
        let cut = lines[..<4].joined(separator: "\n")
        #expect(try SentinelReplay.replay(try SentinelRecording.parse(cut)) == .sameDecisions(inputs: 1))
    }
}

extension String {
    func replacingFirst(_ target: String, with replacement: String) -> String {
        guard let range = range(of: target) else { return self }
        return replacingCharacters(in: range, with: replacement)
    }
}
