/// `POST /node-heartbeat` (node) `{computing?: [chunkId]}` → `{id, name, maxParallel, status,
/// renewed}`.
extension RequestHandlers {
    /// The most chunk ids a heartbeat may name (a node runs at most a few dozen at once).
    static let maxComputingChunks = 256

    /// Marks the calling node online and seen now, and renews its claims on the chunks it says
    /// it is computing (today's nodes send no list: nothing is renewed). Claimed nodes only
    /// (403 `nodeNotClaimed`).
    func nodeHeartbeat<S: JobStore>(
        _ request: APIRequest, store: inout S, buffers: inout ResponseBuffers, now: Timestamp
    ) throws(APIError) -> APIResponse {
        // The caller's id and handle, not its row (a heartbeat needs no more of it).
        let caller = try authenticatedCaller(request, store: &store, now: now)
        store.prepareForClaims(of: caller)
        let computing = try Self.computingChunks(request)
        let node: NodeHeartbeat
        let renewed: Int
        do {
            node = try store.heartbeat(caller)
            renewed = computing.isEmpty ? 0 : try store.renewClaims(caller, chunks: computing)
        } catch { throw .store(error) }
        if request.wire != nil {  // the typed wire: the answer as a value (`TypedWire.swift`)
            return APIResponse(
                status: 200,
                wire: .heartbeat(id: node.id, maxParallel: node.maxParallel, name: node.name, renewed: renewed, status: node.status))
        }
        return Self.heartbeatAnswer(node, renewed: renewed, buffers: &buffers)
    }

    /// `{id, maxParallel, name, renewed, status}`, written directly (the canonical bytes of the tree).
    static func heartbeatAnswer(_ node: NodeRow, renewed: Int) -> APIResponse {
        heartbeatAnswer(NodeHeartbeat(node), renewed: renewed)
    }

    static func heartbeatAnswer(_ node: NodeHeartbeat, renewed: Int) -> APIResponse {
        var buffers = ResponseBuffers.none
        return heartbeatAnswer(node, renewed: renewed, buffers: &buffers)
    }

    /// The answer, its body in one of the server's reused `buffers` when it is written directly.
    static func heartbeatAnswer(_ node: NodeHeartbeat, renewed: Int, buffers: inout ResponseBuffers) -> APIResponse {
        APIResponse(
            status: 200,
            body: heartbeatAnswerBytes(
                id: node.id, maxParallel: node.maxParallel, name: node.name, renewed: renewed, status: node.status, buffers: &buffers))
    }

    static func heartbeatAnswerBytes(id: NodeID, maxParallel: Int, name: String, renewed: Int, status: NodeStatus) -> [UInt8] {
        var buffers = ResponseBuffers.none
        return heartbeatAnswerBytes(id: id, maxParallel: maxParallel, name: name, renewed: renewed, status: status, buffers: &buffers)
    }

    static func heartbeatAnswerBytes(
        id: NodeID, maxParallel: Int, name: String, renewed: Int, status: NodeStatus, buffers: inout ResponseBuffers
    ) -> [UInt8] {
        if let bytes = directHeartbeatAnswer(id: id, maxParallel: maxParallel, name: name, renewed: renewed, status: status, buffers: &buffers) {
            return bytes
        }
        return writtenHeartbeatAnswer(id: id, maxParallel: maxParallel, name: name, renewed: renewed, status: status)
    }

    /// The answer through the canonical writer: any name, any integers.
    static func writtenHeartbeatAnswer(id: NodeID, maxParallel: Int, name: String, renewed: Int, status: NodeStatus) -> [UInt8] {
        var w = CanonicalJSONWriter(capacity: 128)
        w.beginObject()
        w.key("id"); w.identifier(id.raw)
        w.key("maxParallel"); w.int(maxParallel)
        w.key("name"); w.string(name)
        w.key("renewed"); w.int(renewed)
        w.key("status"); w.string(status.rawValue)
        w.endObject()
        return w.bytes
    }

    /// The answer of almost every heartbeat (a name without a byte to escape, integers below
    /// 10^15 in magnitude, which the writer prints as plain digits), written in one pass into
    /// an array of its exact size: the writer's five keys, two strings and two integers were
    /// each a call that checked for a separator and for room (about 2,000 instructions a
    /// heartbeat, with a buffer grown and trimmed). Nil otherwise (the writer then answers);
    /// `HeartbeatPathFastPathTests` checks both against the tree's canonical bytes.
    static func directHeartbeatAnswer(id: NodeID, maxParallel: Int, name: String, renewed: Int, status: NodeStatus) -> [UInt8]? {
        var buffers = ResponseBuffers.none
        return directHeartbeatAnswer(id: id, maxParallel: maxParallel, name: name, renewed: renewed, status: status, buffers: &buffers)
    }

    /// `directHeartbeatAnswer`, written into one of `buffers` (`ResponseBuffers`).
    static func directHeartbeatAnswer(
        id: NodeID, maxParallel: Int, name: String, renewed: Int, status: NodeStatus, buffers: inout ResponseBuffers
    ) -> [UInt8]? {
        let limit = 1_000_000_000_000_000
        guard maxParallel > -limit, maxParallel < limit, renewed > -limit, renewed < limit else { return nil }
        let statusText: StaticString
        switch status {
        case .pending: statusText = "pending"
        case .online: statusText = "online"
        case .offline: statusText = "offline"
        }
        // The name's bytes where the string keeps them (a small name's copied to the stack by
        // the string itself): `withUTF8` is `mutating`, and the `var` copy it needed was a
        // retain and a release of the name around the call. A string without contiguous UTF-8
        // (none on Linux) answers nil here, and the writer answers.
        let written = name.utf8.withContiguousStorageIfAvailable { name -> [UInt8]? in
            for byte in name where JCSWriter.needsEscape(byte) { return nil }
            // The fixed parts spelled where they are written: through a tuple of `StaticString`s
            // their lengths were not constants to the compiler and each part cost a `memmove`
            // call; as literals each is a few fixed-size moves.
            // `{"id":` 6, the quoted id 38, `,"maxParallel":` 15, `,"name":` 8, `,"renewed":` 11,
            // `,"status":"` 11, `"}` 2 (the precondition below checks the sum against the writes).
            let total = 6 + 38 + 15 + CanonicalJSONWriter.decimalLength(maxParallel)
                + 8 + name.count + 2 + 11 + CanonicalJSONWriter.decimalLength(renewed)
                + 11 + statusText.utf8CodeUnitCount + 2
            return buffers.bytes(count: total) { start in
                var at = start
                @inline(__always) func put(_ text: StaticString) {
                    at.update(from: text.utf8Start, count: text.utf8CodeUnitCount)
                    at += text.utf8CodeUnitCount
                }
                @inline(__always) func put(_ value: Int) {
                    at += CanonicalJSONWriter.writeDecimal(value, at: at)
                }
                put(#"{"id":"#)
                CanonicalJSONWriter.spellQuoted(id.raw, at: UnsafeMutableRawPointer(at))
                at += 38
                put(#","maxParallel":"#)
                put(maxParallel)
                put(#","name":"#)
                at.pointee = UInt8(ascii: "\"")
                if name.count > 0 { (at + 1).update(from: name.baseAddress!, count: name.count) }
                at[name.count + 1] = UInt8(ascii: "\"")
                at += name.count + 2
                put(#","renewed":"#)
                put(renewed)
                put(#","status":""#)
                // Each spelling put as its literal (a fixed-size move): `statusText`, chosen at
                // run time, was a `memmove` call of its length.
                switch status {
                case .pending: put("pending")
                case .online: put("online")
                case .offline: put("offline")
                }
                at[0] = UInt8(ascii: "\"")
                at[1] = UInt8(ascii: "}")
                at += 2
                precondition(at - start == total, "the heartbeat answer's length was computed before writing it")
            }
        }
        return written ?? nil
    }

    /// The optional `computing` list: chunk ids as strings, at most `maxComputingChunks`.
    static func computingChunks(_ request: APIRequest) throws(APIError) -> [ChunkID] {
        if case .heartbeat(let ids, _)? = request.wire?.body {  // the typed wire: the value itself
            guard ids.count <= maxComputingChunks else {
                throw .invalidField(field: "computing", expected: "an array of at most \(maxComputingChunks) chunk ids")
            }
            return ids
        }
        guard !request.body.isEmpty else { return [] }
        if let ids = NodeRequestBody.readHeartbeatComputing(request.body, limit: maxComputingChunks) { return ids }
        guard let list = try RequestBody(request.body).optional("computing") else { return [] }
        let expected = "an array of at most \(maxComputingChunks) chunk ids"
        guard case .array(let items) = list, items.count <= maxComputingChunks else {
            throw .invalidField(field: "computing", expected: expected)
        }
        var ids: [ChunkID] = []
        ids.reserveCapacity(items.count)
        for item in items {
            guard case .string(let text) = item, let id = ChunkID(uuidString: text) else {
                throw .invalidField(field: "computing", expected: expected)
            }
            ids.append(id)
        }
        return ids
    }
}
