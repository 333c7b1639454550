/// JSON for everything that crosses the sentinel's boundary (its inputs and effects, the store
/// calls and replies inside them), for production recordings. Every case is written with a
/// `type` and its fields; integers that may exceed 2^53 (Discord ids) are decimal strings.
/// Decoding checks every field and never traps: a recording is input like any other.
public enum SentinelCodec {
    // MARK: Inputs

    public static func json(_ input: Sentinel.Input) -> JSONValue {
        switch input {
        case .start: return ["type": "start"]
        case .listening: return ["type": "listening"]
        case .listenLost: return ["type": "listenLost"]
        case .wakeTimer: return ["type": "wakeTimer"]
        case .notification(let n):
            return ["type": "notification", "channel": .string(n.channel), "payload": .string(n.payload)]
        case .storeReply(let id, let reply):
            return ["type": "storeReply", "callId": .number(Double(id)), "reply": json(reply)]
        case .guild(let event):
            return ["type": "guild", "event": json(event)]
        }
    }

    public static func input(_ v: JSONValue) throws(RecordingDecodingError) -> Sentinel.Input {
        let r = RecordingReader(v, "input")
        switch try r.string("type") {
        case "start": return .start
        case "listening": return .listening
        case "listenLost": return .listenLost
        case "wakeTimer": return .wakeTimer
        case "notification":
            return .notification(StoreNotification(channel: try r.string("channel"), payload: try r.string("payload")))
        case "storeReply":
            return .storeReply(callID: try r.uint("callId"), try reply(try r.value("reply")))
        case "guild":
            return .guild(try guildEvent(try r.value("event")))
        case let other: throw RecordingDecodingError("input: unknown type '\(other)'")
        }
    }

    // MARK: Effects

    public static func json(_ effect: Sentinel.Effect) -> JSONValue {
        switch effect {
        case .listen(let channel): return ["type": "listen", "channel": .string(channel)]
        case .setWakeTimer(let after): return ["type": "setWakeTimer", "afterMicros": .number(Double(after.micros))]
        case .call(let id, let call): return ["type": "call", "id": .number(Double(id)), "call": json(call)]
        }
    }

    public static func effect(_ v: JSONValue) throws(RecordingDecodingError) -> Sentinel.Effect {
        let r = RecordingReader(v, "effect")
        switch try r.string("type") {
        case "listen": return .listen(channel: try r.string("channel"))
        case "setWakeTimer": return .setWakeTimer(after: Interval(micros: try r.int("afterMicros")))
        case "call": return .call(id: try r.uint("id"), try call(try r.value("call")))
        case let other: throw RecordingDecodingError("effect: unknown type '\(other)'")
        }
    }

    // MARK: Store calls

    public static func json(_ call: StoreCall) -> JSONValue {
        switch call {
        case .snapshot(let limit, let window):
            return ["type": "snapshot", "limit": .number(Double(limit)), "onlineWindowMicros": .number(Double(window.micros))]
        case .apply(let plan, let guarded, let window):
            return [
                "type": "apply", "guarded": .bool(guarded),
                "onlineWindowMicros": window.map { .number(Double($0.micros)) } ?? .null,
                "plan": .array(plan.map { ["chunkId": .string($0.chunkID.uuidString), "nodeId": .string($0.nodeID.uuidString)] }),
            ]
        case .reclaimSilent(let silence):
            return ["type": "reclaimSilent", "silenceMicros": .number(Double(silence.micros))]
        case .gauges(let window):
            return ["type": "gauges", "onlineWindowMicros": .number(Double(window.micros))]
        }
    }

    public static func call(_ v: JSONValue) throws(RecordingDecodingError) -> StoreCall {
        let r = RecordingReader(v, "store call")
        switch try r.string("type") {
        case "snapshot":
            return .snapshot(limit: try r.smallInt("limit"), onlineWindow: Interval(micros: try r.int("onlineWindowMicros")))
        case "apply":
            var plan: [PlannedAssignment] = []
            for item in try r.array("plan") {
                let p = RecordingReader(item, "planned assignment")
                plan.append(PlannedAssignment(chunkID: try p.id("chunkId"), nodeID: try p.id("nodeId")))
            }
            let window = try r.optionalInt("onlineWindowMicros").map(Interval.init(micros:))
            return .apply(plan: plan, guarded: try r.bool("guarded"), onlineWindow: window)
        case "reclaimSilent": return .reclaimSilent(silence: Interval(micros: try r.int("silenceMicros")))
        case "gauges": return .gauges(onlineWindow: Interval(micros: try r.int("onlineWindowMicros")))
        case let other: throw RecordingDecodingError("store call: unknown type '\(other)'")
        }
    }

    // MARK: Store replies

    public static func json(_ reply: StoreReply) -> JSONValue {
        switch reply {
        case .snapshot(let s):
            return [
                "type": "snapshot", "morePending": .bool(s.morePending),
                "onlineNodes": .number(Double(s.onlineNodes)),
                "stalestOnlineNode": s.stalestOnlineNode.map { .string($0.uuidString) } ?? .null,
                "chunks": .array(s.chunks.map { c in
                    [
                        "id": .string(c.id.uuidString), "jobId": .string(c.jobID.uuidString),
                        "pendingSeq": .number(Double(c.pendingSeq)),
                        "lastNodeId": c.lastNodeID.map { .string($0.uuidString) } ?? .null,
                    ]
                }),
                "nodes": .array(s.nodes.map { n in
                    [
                        "id": .string(n.id.uuidString), "userId": n.userID.map { .string($0.uuidString) } ?? .null,
                        "ownerDiscordId": n.ownerDiscordID.map { .string($0) } ?? .null,
                        "capacity": .number(Double(n.capacity)), "running": .number(Double(n.running)),
                        "permittedUsers": .array(n.permittedUsers.map { .string($0.uuidString) }),
                    ]
                }),
                "jobs": .array(s.jobs.map { j in
                    [
                        "id": .string(j.id.uuidString), "userId": .string(j.userID.uuidString),
                        "accessType": .string(j.accessType.rawValue),
                        "discordServerId": j.discordServerID.map { .string($0) } ?? .null,
                    ]
                }),
            ]
        case .applied(let assignments):
            return ["type": "applied", "assignments": .array(assignments.map(\.json))]
        case .reclaimed(let ids):
            return ["type": "reclaimed", "chunks": .array(ids.map { .string($0.uuidString) })]
        case .gauges(let g):
            return [
                "type": "gauges", "pendingChunks": .number(Double(g.pendingChunks)),
                "runningChunks": .number(Double(g.runningChunks)), "onlineNodes": .number(Double(g.onlineNodes)),
            ]
        case .failed(let error):
            return ["type": "failed", "error": json(error)]
        }
    }

    public static func reply(_ v: JSONValue) throws(RecordingDecodingError) -> StoreReply {
        let r = RecordingReader(v, "store reply")
        switch try r.string("type") {
        case "snapshot":
            var chunks: [AssignmentSnapshot.Chunk] = []
            for item in try r.array("chunks") {
                let c = RecordingReader(item, "snapshot chunk")
                chunks.append(AssignmentSnapshot.Chunk(
                    id: try c.id("id"), jobID: try c.id("jobId"), pendingSeq: try c.int("pendingSeq"),
                    lastNodeID: try c.optionalID("lastNodeId")))
            }
            var nodes: [AssignmentSnapshot.Node] = []
            for item in try r.array("nodes") {
                let n = RecordingReader(item, "snapshot node")
                var permitted: [UserID] = []
                for u in try n.array("permittedUsers") {
                    guard let text = u.stringValue, let id = UserID(uuidString: text) else {
                        throw RecordingDecodingError("snapshot node: permittedUsers must be UUIDs")
                    }
                    permitted.append(id)
                }
                nodes.append(AssignmentSnapshot.Node(
                    id: try n.id("id"), userID: try n.optionalID("userId"), ownerDiscordID: try n.optionalString("ownerDiscordId"),
                    capacity: try n.smallInt("capacity"), running: try n.smallInt("running"), permittedUsers: permitted))
            }
            var jobs: [AssignmentSnapshot.Job] = []
            for item in try r.array("jobs") {
                let j = RecordingReader(item, "snapshot job")
                guard let access = AccessType(rawValue: try j.string("accessType")) else {
                    throw RecordingDecodingError("snapshot job: unknown accessType")
                }
                jobs.append(AssignmentSnapshot.Job(
                    id: try j.id("id"), userID: try j.id("userId"), accessType: access,
                    discordServerID: try j.optionalString("discordServerId")))
            }
            // A recording made before the snapshot counted its online nodes listed every one.
            var online = nodes.count
            if try r.optionalInt("onlineNodes") != nil {
                online = try r.smallInt("onlineNodes")
                guard online >= nodes.count else {
                    throw RecordingDecodingError("snapshot: onlineNodes is fewer than the nodes listed")
                }
            }
            return .snapshot(AssignmentSnapshot(
                chunks: chunks, nodes: nodes, jobs: jobs, morePending: try r.bool("morePending"), onlineNodes: online,
                stalestOnlineNode: try r.optionalID("stalestOnlineNode")))
        case "applied":
            var assignments: [ChunkAssignment] = []
            for item in try r.array("assignments") {
                do { assignments.append(try ChunkAssignment(json: item)) } catch {
                    throw RecordingDecodingError(error.description)
                }
            }
            return .applied(assignments)
        case "reclaimed":
            var ids: [ChunkID] = []
            for item in try r.array("chunks") {
                guard let text = item.stringValue, let id = ChunkID(uuidString: text) else {
                    throw RecordingDecodingError("reclaimed: chunks must be UUIDs")
                }
                ids.append(id)
            }
            return .reclaimed(ids)
        case "gauges":
            return .gauges(StoreGauges(
                pendingChunks: try r.smallInt("pendingChunks"), runningChunks: try r.smallInt("runningChunks"),
                onlineNodes: try r.smallInt("onlineNodes")))
        case "failed":
            return .failed(try storeError(try r.value("error")))
        case let other: throw RecordingDecodingError("store reply: unknown type '\(other)'")
        }
    }

    // MARK: Store errors

    public static func json(_ error: StoreError) -> JSONValue {
        switch error {
        case .connectionLost: return ["type": "connectionLost"]
        case .uniqueViolation(let s): return ["type": "uniqueViolation", "detail": .string(s)]
        case .configNotFound(let h): return ["type": "configNotFound", "detail": .string(h.hex)]
        case .rotationNotFound(let s): return ["type": "rotationNotFound", "detail": .string(s)]
        case .jobNotFound(let id): return ["type": "jobNotFound", "detail": .string(id.uuidString)]
        case .chunkNotFound(let id): return ["type": "chunkNotFound", "detail": .string(id.uuidString)]
        case .nodeNotFound: return ["type": "nodeNotFound"]
        case .claimCodeNotFound(let s): return ["type": "claimCodeNotFound", "detail": .string(s)]
        case .claimCodeAmbiguous(let s): return ["type": "claimCodeAmbiguous", "detail": .string(s)]
        case .nodeAlreadyClaimed(let id): return ["type": "nodeAlreadyClaimed", "detail": .string(id.uuidString)]
        case .nodeNotClaimed(let id): return ["type": "nodeNotClaimed", "detail": .string(id.uuidString)]
        case .illegalTransition(let s): return ["type": "illegalTransition", "detail": .string(s)]
        case .conflict(let s): return ["type": "conflict", "detail": .string(s)]
        case .database(let state, let message):
            return ["type": "database", "sqlState": .string(state), "detail": .string(message)]
        }
    }

    public static func storeError(_ v: JSONValue) throws(RecordingDecodingError) -> StoreError {
        let r = RecordingReader(v, "store error")
        switch try r.string("type") {
        case "connectionLost": return .connectionLost
        case "uniqueViolation": return .uniqueViolation(try r.string("detail"))
        case "configNotFound":
            guard let hash = ConfigHash(hex: try r.string("detail")) else { throw RecordingDecodingError("store error: bad config hash") }
            return .configNotFound(hash)
        case "rotationNotFound": return .rotationNotFound(try r.string("detail"))
        case "jobNotFound": return .jobNotFound(try r.id("detail"))
        case "chunkNotFound": return .chunkNotFound(try r.id("detail"))
        case "nodeNotFound": return .nodeNotFound
        case "claimCodeNotFound": return .claimCodeNotFound(try r.string("detail"))
        case "claimCodeAmbiguous": return .claimCodeAmbiguous(try r.string("detail"))
        case "nodeAlreadyClaimed": return .nodeAlreadyClaimed(try r.id("detail"))
        case "nodeNotClaimed": return .nodeNotClaimed(try r.id("detail"))
        case "illegalTransition": return .illegalTransition(try r.string("detail"))
        case "conflict": return .conflict(try r.string("detail"))
        case "database": return .database(sqlState: try r.string("sqlState"), message: try r.string("detail"))
        case let other: throw RecordingDecodingError("store error: unknown type '\(other)'")
        }
    }

    // MARK: Guild events

    public static func json(_ event: GuildEvent) -> JSONValue {
        switch event {
        case .members(let guild, let members):
            return ["type": "members", "guild": .string(guild), "members": .array(members.map { .string(String($0)) })]
        case .memberJoined(let guild, let member):
            return ["type": "memberJoined", "guild": .string(guild), "member": .string(String(member))]
        case .memberLeft(let guild, let member):
            return ["type": "memberLeft", "guild": .string(guild), "member": .string(String(member))]
        case .guildLeft(let guild):
            return ["type": "guildLeft", "guild": .string(guild)]
        }
    }

    public static func guildEvent(_ v: JSONValue) throws(RecordingDecodingError) -> GuildEvent {
        let r = RecordingReader(v, "guild event")
        func member(_ value: JSONValue) throws(RecordingDecodingError) -> UInt64 {
            guard let text = value.stringValue, let id = UInt64(text) else {
                throw RecordingDecodingError("guild event: members are decimal strings")
            }
            return id
        }
        switch try r.string("type") {
        case "members":
            var members: [UInt64] = []
            for m in try r.array("members") { members.append(try member(m)) }
            return .members(guild: try r.string("guild"), members: members)
        case "memberJoined": return .memberJoined(guild: try r.string("guild"), member: try member(try r.value("member")))
        case "memberLeft": return .memberLeft(guild: try r.string("guild"), member: try member(try r.value("member")))
        case "guildLeft": return .guildLeft(guild: try r.string("guild"))
        case let other: throw RecordingDecodingError("guild event: unknown type '\(other)'")
        }
    }
}

/// Field access for decoding recordings, with errors that name the field.
struct RecordingReader {
    let value: JSONValue
    let what: String

    init(_ value: JSONValue, _ what: String) {
        self.value = value
        self.what = what
    }

    func value(_ key: String) throws(RecordingDecodingError) -> JSONValue {
        guard case .object(let fields) = value else { throw RecordingDecodingError("\(what) must be a JSON object") }
        guard let v = fields[key] else { throw RecordingDecodingError("\(what): missing \(key)") }
        return v
    }

    func string(_ key: String) throws(RecordingDecodingError) -> String {
        guard let s = try value(key).stringValue else { throw RecordingDecodingError("\(what): \(key) must be a string") }
        return s
    }

    func optionalString(_ key: String) throws(RecordingDecodingError) -> String? {
        let v = value[key] ?? .null
        if v.isNull { return nil }
        guard let s = v.stringValue else { throw RecordingDecodingError("\(what): \(key) must be a string or null") }
        return s
    }

    func int(_ key: String) throws(RecordingDecodingError) -> Int64 {
        guard let n = try value(key).exactInteger else { throw RecordingDecodingError("\(what): \(key) must be an integer") }
        return n
    }

    func optionalInt(_ key: String) throws(RecordingDecodingError) -> Int64? {
        let v = value[key] ?? .null
        if v.isNull { return nil }
        guard let n = v.exactInteger else { throw RecordingDecodingError("\(what): \(key) must be an integer or null") }
        return n
    }

    /// A count or limit: an integer in 0...Int32.max.
    func smallInt(_ key: String) throws(RecordingDecodingError) -> Int {
        let n = try int(key)
        guard n >= 0, n <= Int64(Int32.max) else { throw RecordingDecodingError("\(what): \(key) out of range") }
        return Int(n)
    }

    func uint(_ key: String) throws(RecordingDecodingError) -> UInt64 {
        let n = try int(key)
        guard n >= 0 else { throw RecordingDecodingError("\(what): \(key) must not be negative") }
        return UInt64(n)
    }

    func bool(_ key: String) throws(RecordingDecodingError) -> Bool {
        guard let b = try value(key).boolValue else { throw RecordingDecodingError("\(what): \(key) must be true or false") }
        return b
    }

    func array(_ key: String) throws(RecordingDecodingError) -> [JSONValue] {
        guard let a = try value(key).arrayValue else { throw RecordingDecodingError("\(what): \(key) must be an array") }
        return a
    }

    func id<Tag>(_ key: String) throws(RecordingDecodingError) -> TypedID<Tag> {
        guard let id = TypedID<Tag>(uuidString: try string(key)) else { throw RecordingDecodingError("\(what): \(key) must be a UUID") }
        return id
    }

    func optionalID<Tag>(_ key: String) throws(RecordingDecodingError) -> TypedID<Tag>? {
        guard let text = try optionalString(key) else { return nil }
        guard let id = TypedID<Tag>(uuidString: text) else { throw RecordingDecodingError("\(what): \(key) must be a UUID or null") }
        return id
    }
}
