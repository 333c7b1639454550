#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a recording's lines go: a file (`FileDescriptorSink`), memory (`RecordingBuffer`), or
/// anything the runner provides.
public protocol SentinelRecordingSink {
    /// Writes one line's bytes (the recorder adds the newline).
    mutating func write(_ bytes: [UInt8]) throws
}

/// Lines kept in memory (tests, or a runner that ships recordings elsewhere).
public struct RecordingBuffer: SentinelRecordingSink, Sendable {
    public var bytes: [UInt8] = []
    public init() {}
    public mutating func write(_ bytes: [UInt8]) { self.bytes += bytes }
    public var text: String { String(decoding: bytes, as: UTF8.self) }
}

/// An open file descriptor (the runner opens `--record FILE`, e.g. with `open(2)` or
/// `FileHandle.fileDescriptor`, and closes it). Each line is written whole with `write(2)`,
/// retried on a short write or EINTR, so a recording cut by a crash ends at a line boundary
/// or in the middle of its last line only.
public struct FileDescriptorSink: SentinelRecordingSink, Sendable {
    public let fd: Int32
    public init(fd: Int32) { self.fd = fd }

    public struct WriteError: Error, Equatable, CustomStringConvertible {
        public var errno: Int32
        public var description: String { "writing the sentinel recording failed (errno \(errno))" }
    }

    public func write(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { raw in
                #if canImport(Glibc)
                Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                #else
                Darwin.write(fd, raw.baseAddress! + offset, raw.count - offset)
                #endif
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw WriteError(errno: errno)
            }
            offset += n
        }
    }
}

/// Records a production sentinel (`SentinelRecording`): the runner calls `record(input:at:)`
/// with each input just before handing it to `Sentinel.handle` (with the same `now`), then
/// `record(effects:)` with what `handle` appended. A value type: the runner owns it next to its
/// `Sentinel`, from the one task that drives the sentinel.
///
/// ```swift
/// var recorder = try SentinelRecorder(sink: FileDescriptorSink(fd: fd), sentinel: sentinel)
/// try recorder.record(input: input, at: now)
/// effects.removeAll(keepingCapacity: true)
/// sentinel.handle(input, now: now, effects: &effects)
/// try recorder.record(effects: effects)
/// ```
public struct SentinelRecorder<Sink: SentinelRecordingSink> {
    public var sink: Sink
    /// Inputs recorded so far (the next input's index).
    public private(set) var inputs = 0
    var awaitingEffects = false

    /// Writes the header line.
    public init(sink: Sink, header: SentinelRecording.Header) throws {
        self.sink = sink
        try write(header.json)
    }

    /// Writes the header of `sentinel` as built (call before its first input).
    public init(sink: Sink, sentinel: Sentinel) throws {
        try self.init(sink: sink, header: SentinelRecording.Header(sentinel))
    }

    public mutating func record(input: Sentinel.Input, at now: Timestamp) throws {
        if awaitingEffects { try record(effects: []) }  // the runner skipped them: none, as far as we know
        try write(SentinelRecording.Line.input(index: inputs, at: now, input).json)
        awaitingEffects = true
    }

    public mutating func record(effects: [Sentinel.Effect]) throws {
        guard awaitingEffects else { return }
        try write(SentinelRecording.Line.effects(index: inputs, effects).json)
        awaitingEffects = false
        inputs += 1
    }

    mutating func write(_ json: JSONValue) throws {
        try sink.write(json.canonicalBytes + [0x0A])
    }
}

/// Runs a recording's inputs through a fresh `Sentinel` built as its header says and compares
/// each input's effects with the recorded ones.
public enum SentinelReplay {
    public struct Divergence: Sendable, Equatable {
        /// The input's index (0-based, the recording's `i`).
        public var index: Int
        public var at: Timestamp
        public var input: Sentinel.Input
        public var expected: [Sentinel.Effect]
        public var actual: [Sentinel.Effect]
    }

    public enum Result: Sendable, Equatable {
        /// Every input gave the recorded effects (`inputs` of them were compared).
        case sameDecisions(inputs: Int)
        case diverged(Divergence)
    }

    public static func replay(_ recording: SentinelRecording.Parsed) throws(RecordingDecodingError) -> Result {
        let profile: Profile
        do { profile = try Profile(spec: recording.header.profile) } catch {
            throw RecordingDecodingError("header: \(error.description)")
        }
        var sentinel = Sentinel(profile: profile)
        sentinel.callTimeout = recording.header.callTimeout
        var effects: [Sentinel.Effect] = []
        var compared = 0
        for (i, step) in recording.steps.enumerated() {
            effects.removeAll(keepingCapacity: true)
            if case .storeReply(let id, let reply) = step.input, !sentinel.accepts(reply, callID: id) {
                // A reply the live sentinel could not have been given (a corrupted or foreign
                // recording): the sentinel would stop on it; report it as the divergence.
                return .diverged(Divergence(index: i, at: step.at, input: step.input, expected: step.effects ?? [], actual: []))
            }
            sentinel.handle(step.input, now: step.at, effects: &effects)
            guard let expected = step.effects else { break }
            if effects != expected {
                return .diverged(Divergence(index: i, at: step.at, input: step.input, expected: expected, actual: effects))
            }
            compared += 1
        }
        return .sameDecisions(inputs: compared)
    }
}

extension Sentinel {
    /// Whether `handle(.storeReply(callID:, reply))` is well-formed now: a reply to another call
    /// is ignored, a failure always fits, else the reply must answer the pass's current step.
    func accepts(_ reply: StoreReply, callID: UInt64) -> Bool {
        guard callID == outstandingCall else { return true }
        switch (step, reply) {
        case (_, .failed), (.snapshot, .snapshot), (.apply, .applied), (.reclaim, .reclaimed), (.gauges, .gauges): return true
        default: return false
        }
    }
}
