/// The node's assignment channel: the push side of the API. A node opens it with a signed
/// `GET /node-assignments` (authenticated like every node request, see
/// `RequestHandlers.openAssignmentChannel`); production carries it over a WebSocket, the
/// simulation over the World's network. The server then sends `AssignmentChannelMessage`s,
/// one JSON text message each:
///
/// - first, `subscribed`: the chunks running on the node now. A node that was unsubscribed
///   (a dropped connection, a server or store restart) learns what it holds, so an assignment
///   pushed while nobody listened is picked up at once, not five minutes later by the reaper;
/// - then `assigned` for every claim the scheduler commits for the node.
///
/// The channel is lossy by nature: it drops with the connection (the node resubscribes with
/// backoff, `NodeAgent.Input.channelLost`), and a push sent just before a drop may be lost.
/// What the node holds is always in the store; the `subscribed` list is its resync.
public enum AssignmentChannel {
    /// The route the node opens the channel on.
    public static let path = "/node-assignments"
}

/// One message of the assignment channel (server → node), with its JSON codec:
///
/// ```json
/// {"type":"subscribed","nodeId":"…","held":[<chunk>, …]}
/// {"type":"assigned","chunk":<chunk>}
/// ```
///
/// where `<chunk>` is `ChunkAssignment.json` (`chunkId`, `jobId`, `nodeId`, `attempt`,
/// `configHash`, `iterations`, `seedOffset`, `claimedAtMicros`). Unknown fields are ignored,
/// so the server may add some; an unknown `type` is a decoding error the node counts and drops.
public enum AssignmentChannelMessage: Sendable, Equatable {
    /// The subscription is open for `nodeID`; `held` are the chunks running on it now.
    case subscribed(nodeID: NodeID, held: [ChunkAssignment])
    /// A claim the scheduler committed for the node.
    case assigned(ChunkAssignment)

    public var json: JSONValue {
        switch self {
        case .subscribed(let nodeID, let held):
            return ["type": "subscribed", "nodeId": .string(nodeID.uuidString), "held": .array(held.map(\.json))]
        case .assigned(let chunk):
            return ["type": "assigned", "chunk": chunk.json]
        }
    }

    /// The message as it is sent: canonical JSON text.
    public var bytes: [UInt8] { json.canonicalBytes }

    public init(json: JSONValue) throws(ChannelDecodingError) {
        guard case .object = json else { throw ChannelDecodingError("a channel message is a JSON object") }
        switch json["type"]?.stringValue {
        case "subscribed"?:
            guard let text = json["nodeId"]?.stringValue, let nodeID = NodeID(uuidString: text) else {
                throw ChannelDecodingError("subscribed: nodeId must be a UUID")
            }
            guard let held = json["held"]?.arrayValue else { throw ChannelDecodingError("subscribed: held must be an array") }
            var chunks: [ChunkAssignment] = []
            chunks.reserveCapacity(held.count)
            for item in held { chunks.append(try ChunkAssignment(json: item)) }
            self = .subscribed(nodeID: nodeID, held: chunks)
        case "assigned"?:
            guard let chunk = json["chunk"] else { throw ChannelDecodingError("assigned: missing chunk") }
            self = .assigned(try ChunkAssignment(json: chunk))
        case let other?:
            throw ChannelDecodingError("unknown message type '\(other)'")
        case nil:
            throw ChannelDecodingError("missing type")
        }
    }

    /// Parses one text message (bad JSON is a decoding error, never a crash).
    public init(bytes: [UInt8]) throws(ChannelDecodingError) {
        let value: JSONValue
        do { value = try JSONValue.parse(bytes) } catch { throw ChannelDecodingError("not JSON: \(error)") }
        try self.init(json: value)
    }
}

/// Why a channel message (or a chunk in it) could not be read.
public struct ChannelDecodingError: Error, Equatable, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension ChunkAssignment {
    /// The seeds' `ChunkPayload` as JSON. Integers are JSON numbers; `claimedAtMicros` and
    /// `seedOffset` stay exact (below 2^53, which a timestamp in µs is until the year 2255).
    public var json: JSONValue {
        [
            "chunkId": .string(chunkID.uuidString), "jobId": .string(jobID.uuidString),
            "nodeId": .string(nodeID.uuidString), "attempt": .number(Double(attempt)),
            "configHash": .string(configHash.hex), "iterations": .number(Double(iterations)),
            "seedOffset": .number(Double(seedOffset)), "claimedAtMicros": .number(Double(claimedAt.micros)),
        ]
    }

    public init(json: JSONValue) throws(ChannelDecodingError) {
        func id<T>(_ key: String, _ make: (String) -> T?) throws(ChannelDecodingError) -> T {
            guard let text = json[key]?.stringValue, let value = make(text) else {
                throw ChannelDecodingError("chunk: \(key) must be a UUID")
            }
            return value
        }
        func integer(_ key: String) throws(ChannelDecodingError) -> Int64 {
            guard let value = json[key]?.exactInteger else { throw ChannelDecodingError("chunk: \(key) must be an integer") }
            return value
        }
        guard let hex = json["configHash"]?.stringValue, let hash = ConfigHash(hex: hex) else {
            throw ChannelDecodingError("chunk: configHash must be 64 hex digits")
        }
        let attempt = try integer("attempt"), iterations = try integer("iterations")
        guard attempt >= 0, iterations >= 0, attempt <= Int64(Int32.max), iterations <= Int64(Int32.max) else {
            throw ChannelDecodingError("chunk: attempt and iterations must be non-negative")
        }
        self.init(
            chunkID: try id("chunkId", ChunkID.init(uuidString:)), jobID: try id("jobId", JobID.init(uuidString:)),
            nodeID: try id("nodeId", NodeID.init(uuidString:)), attempt: Int(attempt), configHash: hash,
            iterations: Int(iterations), seedOffset: try integer("seedOffset"),
            claimedAt: Timestamp(micros: try integer("claimedAtMicros")))
    }

    /// The assignment of a running chunk row (nil if the row is not running on a node).
    public init?(running row: ChunkRow) {
        guard row.status == .running, let node = row.nodeID, let claimedAt = row.claimedAt else { return nil }
        self.init(
            chunkID: row.id, jobID: row.jobID, nodeID: node, attempt: row.attempt, configHash: row.configHash,
            iterations: row.iterations, seedOffset: row.seedOffset, claimedAt: claimedAt)
    }
}

extension JSONValue {
    /// A number that is an integer a Double holds exactly (|n| ≤ 2^53), as Int64.
    public var exactInteger: Int64? {
        guard case .number(let d) = self, d.isFinite, d == d.rounded(.towardZero), abs(d) <= 9_007_199_254_740_992 else {
            return nil
        }
        return Int64(d)
    }
}
