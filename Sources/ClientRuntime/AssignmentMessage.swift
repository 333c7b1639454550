import System

/// A message of the assignment channel, as the node reads it.
///
/// An assignment is the chunk's claim as the store made it (the seeds' `ChunkPayload`):
/// `{"type":"assignment","chunkId","jobId","nodeId","attempt","configHash","iterations","seedOffset","claimedAt"}`.
/// Everything is checked before it reaches the agent: a server that sends nonsense gets its
/// message ignored and logged, never a crashed node.
enum AssignmentMessage: Equatable {
    case assignment(ChunkAssignment)
    case invalid(String)

    /// At most this many iterations per chunk (the API's job limit).
    static let maxIterations = 10_000_000

    static func decode(_ text: String) -> AssignmentMessage {
        guard text.utf8.count <= 16_384 else { return .invalid("\(text.utf8.count) bytes") }
        let json: JSONValue
        do { json = try JSONValue.parse(text) } catch { return .invalid("not JSON: \(error)") }
        guard json["type"]?.stringValue ?? "assignment" == "assignment" else {
            return .invalid("unknown type \(json["type"]?.stringValue ?? "?")")
        }
        guard let chunk = json["chunkId"]?.stringValue.flatMap(ChunkID.init(uuidString:)),
            let job = json["jobId"]?.stringValue.flatMap(JobID.init(uuidString:)),
            let node = json["nodeId"]?.stringValue.flatMap(NodeID.init(uuidString:))
        else { return .invalid("chunkId, jobId or nodeId missing or not a UUID") }
        guard let hash = json["configHash"]?.stringValue.flatMap(ConfigHash.init(hex:)) else {
            return .invalid("configHash is not 64 lowercase hex digits")
        }
        guard let attempt = json["attempt"]?.intValue, attempt >= 0 else { return .invalid("attempt is not a non-negative integer") }
        guard let iterations = json["iterations"]?.intValue, (1...maxIterations).contains(iterations) else {
            return .invalid("iterations not in 1...\(maxIterations)")
        }
        guard let offset = json["seedOffset"]?.doubleValue, offset >= 0, offset < 0x1p53, offset == offset.rounded() else {
            return .invalid("seedOffset is not a non-negative integer")
        }
        let claimedAt = json["claimedAt"]?.doubleValue.map { Timestamp(micros: Int64(Swift.max(Swift.min($0, 0x1p62), -0x1p62))) }
        return .assignment(
            ChunkAssignment(
                chunkID: chunk, jobID: job, nodeID: node, attempt: attempt, configHash: hash, iterations: iterations,
                seedOffset: Int64(offset), claimedAt: claimedAt ?? Timestamp(micros: 0)))
    }
}
