/// `POST /node-heartbeat` (node) `{computing?: [chunkId]}` → `{id, name, maxParallel, status,
/// renewed}`.
extension RequestHandlers {
    /// The most chunk ids a heartbeat may name (a node runs at most a few dozen at once).
    static let maxComputingChunks = 256

    /// Marks the calling node online and seen now, and renews its claims on the chunks it says
    /// it is computing (today's nodes send no list: nothing is renewed). Claimed nodes only
    /// (403 `nodeNotClaimed`).
    func nodeHeartbeat<S: JobStore>(_ request: APIRequest, store: inout S, now: Timestamp) throws(APIError) -> APIResponse {
        // The caller's id and handle, not its row (a heartbeat needs no more of it).
        let caller = try authenticatedCaller(request, store: &store, now: now)
        let computing = try Self.computingChunks(request)
        let node: NodeHeartbeat
        let renewed: Int
        do {
            node = try store.heartbeat(caller)
            renewed = computing.isEmpty ? 0 : try store.renewClaims(caller.id, chunks: computing)
        } catch { throw .store(error) }
        if request.wire != nil {  // the typed wire: the answer as a value (`TypedWire.swift`)
            return APIResponse(
                status: 200,
                wire: .heartbeat(id: node.id, maxParallel: node.maxParallel, name: node.name, renewed: renewed, status: node.status))
        }
        return Self.heartbeatAnswer(node, renewed: renewed)
    }

    /// `{id, maxParallel, name, renewed, status}`, written directly (the canonical bytes of the tree).
    static func heartbeatAnswer(_ node: NodeRow, renewed: Int) -> APIResponse {
        heartbeatAnswer(NodeHeartbeat(node), renewed: renewed)
    }

    static func heartbeatAnswer(_ node: NodeHeartbeat, renewed: Int) -> APIResponse {
        APIResponse(
            status: 200,
            body: heartbeatAnswerBytes(id: node.id, maxParallel: node.maxParallel, name: node.name, renewed: renewed, status: node.status))
    }

    static func heartbeatAnswerBytes(id: NodeID, maxParallel: Int, name: String, renewed: Int, status: NodeStatus) -> [UInt8] {
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
