/// `POST /node-heartbeat` (node) `{computing?: [chunkId]}` → `{id, name, maxParallel, status,
/// renewed}`.
extension RequestHandlers {
    /// The most chunk ids a heartbeat may name (a node runs at most a few dozen at once).
    static let maxComputingChunks = 256

    /// Marks the calling node online and seen now, and renews its claims on the chunks it says
    /// it is computing (today's nodes send no list: nothing is renewed). Claimed nodes only
    /// (403 `nodeNotClaimed`).
    func nodeHeartbeat<S: JobStore>(_ request: APIRequest, store: inout S, now: Timestamp) throws(APIError) -> APIResponse {
        let caller = try authenticatedNode(request, store: &store, now: now)
        let computing = try Self.computingChunks(request)
        let node: NodeRow
        let renewed: Int
        do {
            node = try store.heartbeat(caller.id)
            renewed = computing.isEmpty ? 0 : try store.renewClaims(caller.id, chunks: computing)
        } catch { throw .store(error) }
        return .ok([
            "id": .string(node.id.uuidString), "name": .string(node.name),
            "maxParallel": .number(Double(node.maxParallel)), "status": .string(node.status.rawValue),
            "renewed": .number(Double(renewed)),
        ])
    }

    /// The optional `computing` list: chunk ids as strings, at most `maxComputingChunks`.
    static func computingChunks(_ request: APIRequest) throws(APIError) -> [ChunkID] {
        guard !request.body.isEmpty else { return [] }
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
