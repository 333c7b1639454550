import Scenarios
import JobSystem

/// The fuzzed entry points: each takes arbitrary bytes and must neither crash, hang nor break
/// the property it checks (a broken property is a `preconditionFailure`, which libFuzzer
/// reports as a crash with the input that caused it).
enum FuzzTarget: String, CaseIterable {
    /// A request's body, path, method and headers through the handlers, against a store with a
    /// registered, claimed node, a config and a job: every decoding path of every route.
    case request
    /// `X-Node-*` header parsing and verification.
    case signatureHeaders = "signature-headers"
    /// The strict JSON parser and RFC 8785 canonicalization: canonical output re-parses to the
    /// same value and is a fixed point.
    case canonicalJSON = "canonical-json"
    /// Trace-file reading: the header line, the run spec and its reduction.
    case traceFile = "trace-file"
    /// Assignment channel messages and production sentinel recordings: decoded or refused,
    /// never a trap; a decoded one re-encodes to a value that decodes the same; a recording
    /// that parses replays (divergence or not) without trapping.
    case channelAndRecording = "channel-and-recording"

    func run(_ bytes: [UInt8]) {
        switch self {
        case .request: RequestFuzz.run(bytes)
        case .signatureHeaders: SignatureHeaderFuzz.run(bytes)
        case .canonicalJSON: CanonicalJSONFuzz.run(bytes)
        case .traceFile: TraceFileFuzz.run(bytes)
        case .channelAndRecording: ChannelAndRecordingFuzz.run(bytes)
        }
    }
}

/// Splits an input into fields at 0xFF bytes (never valid UTF-8, so JSON and header text
/// cannot contain them by accident), padding with empty fields.
func fields(_ bytes: [UInt8], _ count: Int) -> [[UInt8]] {
    var out = bytes.split(separator: 0xFF, maxSplits: count - 1, omittingEmptySubsequences: false).map(Array.init)
    while out.count < count { out.append([]) }
    return out
}

func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

enum ChannelAndRecordingFuzz {
    static func run(_ bytes: [UInt8]) {
        if let message = try? AssignmentChannelMessage(bytes: bytes) {
            guard (try? AssignmentChannelMessage(bytes: message.bytes)) == message else {
                preconditionFailure("a channel message does not round-trip: \(text(bytes))")
            }
        }
        let recording = "{\"callTimeoutMicros\":10000000,\"format\":\"sentinel-recording\",\"profile\":\"fixed\",\"version\":1}\n" + text(bytes)
        if let parsed = try? SentinelRecording.parse(recording) {
            _ = try? SentinelReplay.replay(parsed)
        }
        _ = try? SentinelRecording.parse(text(bytes))
    }
}

enum CanonicalJSONFuzz {
    static func run(_ bytes: [UInt8]) {
        guard let value = try? JSONValue.parse(bytes) else { return }
        let canonical = value.canonicalBytes
        guard let again = try? JSONValue.parse(canonical) else {
            preconditionFailure("canonical output does not parse: \(text(canonical))")
        }
        guard again.canonicalBytes == canonical else { preconditionFailure("canonicalization is not a fixed point") }
        _ = try? SimConfig(json: value)
        _ = try? Rotation(json: value)
        _ = try? ChunkResult(json: value)
    }
}

enum SignatureHeaderFuzz {
    static let verifier = RequestVerifier(scheme: Ed25519(), hasher: SodiumSHA256(), window: 300)

    static func run(_ bytes: [UInt8]) {
        let f = fields(bytes, 5)
        let headers: APIHeaders = [
            RequestSigning.keyHeader: text(f[0]), RequestSigning.signatureHeader: text(f[1]),
            RequestSigning.timestampHeader: text(f[2]),
        ]
        _ = try? SignedHeaders(headers: headers)
        _ = try? verifier.verify(headers: headers, method: text(f[3]), path: "/x", body: f[4], nowUnixSeconds: 1_700_000_000)
        // Header names in any case, and missing ones.
        _ = try? SignedHeaders(headers: [text(f[3]): text(f[0]), "x-node-sig": text(f[1])])
    }
}

enum TraceFileFuzz {
    static func run(_ bytes: [UInt8]) {
        guard let file = try? TraceFile.parse(text(bytes)) else { return }
        _ = try? file.header.spec.resolvedScenario()
        _ = try? file.header.spec.resolvedProfile()
        _ = try? file.header.spec.keptActions()
        _ = try? TraceHeader(parsing: file.header.line)
    }
}
