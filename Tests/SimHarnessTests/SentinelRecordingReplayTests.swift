import Foundation
import Testing

@testable import JobSystem

/// `simharness replay FILE` on a production sentinel recording: the same decisions, or the
/// first divergence, through the real executable.
@Suite("Sentinel recording replay command")
struct SentinelRecordingReplayTests {
    /// A short recording: boot, LISTEN up, a notification, a pass assigning one chunk.
    static func recording() throws -> String {
        var sentinel = Sentinel(profile: .fixed)
        var recorder = try SentinelRecorder(sink: RecordingBuffer(), sentinel: sentinel)
        var now = Timestamp(unixSeconds: 1_800_000_000)
        var effects: [Sentinel.Effect] = []
        var lastCall: UInt64 = 0
        func feed(_ input: Sentinel.Input) throws {
            now = now + .milliseconds(50)
            try recorder.record(input: input, at: now)
            effects.removeAll()
            sentinel.handle(input, now: now, effects: &effects)
            try recorder.record(effects: effects)
            for case .call(let id, _) in effects { lastCall = id }
        }
        let node = NodeID(Identifier(high: 1, low: 1)), chunk = ChunkID(Identifier(high: 2, low: 2))
        let job = JobID(Identifier(high: 3, low: 3)), user = UserID(Identifier(high: 4, low: 4))
        try feed(.start)
        try feed(.listening)
        try feed(.notification(StoreNotification(channel: Sentinel.channel, payload: "x")))
        try feed(.wakeTimer)
        try feed(.storeReply(callID: lastCall, .snapshot(AssignmentSnapshot(
            chunks: [.init(id: chunk, jobID: job, pendingSeq: 1)],
            nodes: [.init(id: node, userID: user, ownerDiscordID: nil, capacity: 4, running: 3, permittedUsers: [])],
            jobs: [.init(id: job, userID: user, accessType: .public, discordServerID: nil)], morePending: false))))
        return recorder.sink.text
    }

    static func replay(_ text: String, name: String = #function) throws -> (status: Int32, output: String) {
        let exe = try #require(CommandLineTests.findSimharness(), "build simharness first (swift build --product simharness)")
        // One file per test: the tests run in parallel.
        let label = name.filter { $0.isLetter }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("sentinel-recording-\(getpid())-\(label).jsonl")
        try Data(text.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let p = Process()
        p.executableURL = exe
        p.arguments = ["replay", file.path]
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = FileHandle.nullDevice
        try p.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationReason == .exit)
        return (p.terminationStatus, output)
    }

    @Test func sameDecisions() throws {
        let (status, output) = try Self.replay(try Self.recording())
        #expect(status == 0)
        #expect(output.contains("same decisions (5 inputs)"))
    }

    @Test func handCorruptedRecordingDiverges() throws {
        // The node had room for one more chunk; claim it was full: no plan, no apply.
        let text = try Self.recording().replacingOccurrences(of: #""running":3"#, with: #""running":4"#)
        let (status, output) = try Self.replay(text)
        #expect(status == 1)
        #expect(output.contains("DIVERGED") && output.contains("at input 4"))
        #expect(output.contains(#"expected: [{"call":{"guarded":true"#))
    }

    /// What `sentinel --record FILE` does: the recorder writes through a file descriptor.
    @Test func recordsThroughAFileDescriptor() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("sentinel-fd-\(getpid()).jsonl")
        #expect(FileManager.default.createFile(atPath: file.path, contents: nil))
        defer { try? FileManager.default.removeItem(at: file) }
        let handle = try FileHandle(forWritingTo: file)
        var sentinel = Sentinel(profile: .fixed)
        var recorder = try SentinelRecorder(sink: FileDescriptorSink(fd: handle.fileDescriptor), sentinel: sentinel)
        var effects: [Sentinel.Effect] = []
        for (n, input) in [Sentinel.Input.start, .listening, .wakeTimer].enumerated() {
            let now = Timestamp(unixSeconds: 1_800_000_000 + Int64(n))
            try recorder.record(input: input, at: now)
            effects.removeAll()
            sentinel.handle(input, now: now, effects: &effects)
            try recorder.record(effects: effects)
        }
        try handle.close()
        let text = String(decoding: try Data(contentsOf: file), as: UTF8.self)
        #expect(text == (try Self.textOf(recordingThrough: RecordingBuffer())))
        #expect(try SentinelReplay.replay(try SentinelRecording.parse(text)) == .sameDecisions(inputs: 3))
    }

    /// The same three inputs recorded into memory.
    static func textOf(recordingThrough buffer: RecordingBuffer) throws -> String {
        var sentinel = Sentinel(profile: .fixed)
        var recorder = try SentinelRecorder(sink: buffer, sentinel: sentinel)
        var effects: [Sentinel.Effect] = []
        for (n, input) in [Sentinel.Input.start, .listening, .wakeTimer].enumerated() {
            let now = Timestamp(unixSeconds: 1_800_000_000 + Int64(n))
            try recorder.record(input: input, at: now)
            effects.removeAll()
            sentinel.handle(input, now: now, effects: &effects)
            try recorder.record(effects: effects)
        }
        return recorder.sink.text
    }

    @Test func garbageIsAnErrorNotACrash() throws {
        let header = try Self.recording().prefix { $0 != "\n" }
        let (status, output) = try Self.replay(header + "\n{\"i\":0,\"at\":\"soon\",\"input\":{\"type\":\"start\"}}\n")
        #expect(status == 1 && output.contains("ERROR"))
    }
}
