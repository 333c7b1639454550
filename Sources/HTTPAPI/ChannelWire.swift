import JobSystem

/// The node assignment channel's messages as they cross the wire: JSON text frames.
/// - on open: `{"type":"held","assignments":[A…]}`, the claims the node holds;
/// - then one `{"type":"assigned","assignment":A}` per new claim, as the store's assignment
///   feed (`chunk_assigned`) reports it;
/// where A is `{"chunkId","jobId","nodeId","attempt","configHash","iterations","seedOffset",
/// "claimedAtMicros"}`, the same object the database's `chunk_assigned` NOTIFY carries.
/// A node may see a claim twice (in `held` and as `assigned`): it keys work by chunk and attempt.
public enum ChannelWire {
    public enum Message: Sendable, Equatable {
        case held([ChunkAssignment])
        case assigned(ChunkAssignment)
    }

    public static func encode(_ message: Message) -> String {
        let json: JSONValue
        switch message {
        case .held(let list): json = ["type": "held", "assignments": .array(list.map(encode))]
        case .assigned(let a): json = ["type": "assigned", "assignment": encode(a)]
        }
        return json.canonicalString
    }

    public static func decode(_ text: String) -> Message? {
        guard let json = try? JSONValue.parse(text), let fields = json.objectValue else { return nil }
        switch fields["type"]?.stringValue {
        case "held":
            guard let list = fields["assignments"]?.arrayValue else { return nil }
            var out: [ChunkAssignment] = []
            for item in list {
                guard let a = assignment(item) else { return nil }
                out.append(a)
            }
            return .held(out)
        case "assigned":
            return fields["assignment"].flatMap(assignment).map { .assigned($0) }
        default:
            return nil
        }
    }

    static func encode(_ a: ChunkAssignment) -> JSONValue {
        [
            "chunkId": .string(a.chunkID.uuidString), "jobId": .string(a.jobID.uuidString),
            "nodeId": .string(a.nodeID.uuidString), "attempt": .number(Double(a.attempt)),
            "configHash": .string(a.configHash.hex), "iterations": .number(Double(a.iterations)),
            "seedOffset": .number(Double(a.seedOffset)), "claimedAtMicros": .number(Double(a.claimedAt.micros)),
        ]
    }

    /// Parses an assignment object (the channel's, or the `chunk_assigned` payload).
    public static func assignment(_ json: JSONValue) -> ChunkAssignment? {
        guard let f = json.objectValue,
            let chunk = f["chunkId"]?.stringValue.flatMap({ ChunkID(uuidString: $0) }),
            let job = f["jobId"]?.stringValue.flatMap({ JobID(uuidString: $0) }),
            let node = f["nodeId"]?.stringValue.flatMap({ NodeID(uuidString: $0) }),
            let attempt = f["attempt"]?.intValue,
            let hash = f["configHash"]?.stringValue.flatMap({ ConfigHash(hex: $0) }),
            let iterations = f["iterations"]?.intValue,
            let seedOffset = f["seedOffset"]?.intValue,
            let claimedAt = f["claimedAtMicros"]?.intValue
        else { return nil }
        return ChunkAssignment(
            chunkID: chunk, jobID: job, nodeID: node, attempt: attempt, configHash: hash, iterations: iterations,
            seedOffset: Int64(seedOffset), claimedAt: Timestamp(micros: Int64(claimedAt)))
    }
}
