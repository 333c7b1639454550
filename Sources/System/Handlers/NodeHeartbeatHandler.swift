/// `POST /node-heartbeat` (node) → `{id, name, maxParallel, status}`.
extension RequestHandlers {
    /// Marks the calling node online and seen now. Claimed nodes only (403 `nodeNotClaimed`).
    func nodeHeartbeat<S: JobStore>(_ request: APIRequest, store: inout S, now: Timestamp) throws(APIError) -> APIResponse {
        let caller = try authenticatedNode(request, store: &store, now: now)
        let node: NodeRow
        do { node = try store.heartbeat(caller.id) } catch { throw .store(error) }
        return .ok([
            "id": .string(node.id.uuidString), "name": .string(node.name),
            "maxParallel": .number(Double(node.maxParallel)), "status": .string(node.status.rawValue),
        ])
    }
}
