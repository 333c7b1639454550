/// `GET /node-assignments` (node): opens the node's assignment channel (`AssignmentChannel`).
extension RequestHandlers {
    /// Authenticates the subscriber like any node request (signed, registered key, signature
    /// spent: a captured open cannot be replayed to listen in on a node's work) and answers the
    /// channel's first message, `subscribed`, listing the chunks running on the node now. One
    /// store transaction, like every route. The server then pushes `assigned` messages for
    /// this node id until the connection drops.
    ///
    /// Today's nodes (`.unsignedNodes`, or an unsigned request inside the migration window)
    /// subscribe as Supabase Realtime lets them, by naming the node in the query
    /// (`?nodeId=`), with no proof: anyone may listen to any node's assignments, today's
    /// behaviour. Their software ignores the `held` list (today's Realtime replays nothing).
    public func openAssignmentChannel<S: JobStore>(_ request: APIRequest, store: inout S, now: Timestamp) -> ChannelOpening {
        do throws(APIError) {
            try checkSizes(request)
            let method = String(decoding: request.method.utf8.map { (0x61...0x7A).contains($0) ? $0 - 0x20 : $0 }, as: UTF8.self)
            guard request.path == AssignmentChannel.path else { throw .routeNotFound(request.path) }
            guard method == "GET" else { throw .methodNotAllowed(method: method, path: request.path) }
            let node: NodeID
            if profile.has(.unsignedNodes) || servedUnsignedForMigration(request, now: now) {
                guard let text = request.query["nodeId"], let id = NodeID(uuidString: text) else {
                    throw .invalidQuery(parameter: "nodeId", expected: "a node id")
                }
                guard try Self.read({ () throws(StoreError) in try store.node(id) }) != nil else {
                    throw .signature(.unknownNode)
                }
                node = id
            } else {
                node = try authenticatedNode(request, store: &store, now: now).id
            }
            let rows = try Self.read({ () throws(StoreError) in try store.runningChunks(ofNode: node) })
            if profile.claimRenewalWindow != nil, !rows.isEmpty {
                // The node takes these up now: renew their claims, as a heartbeat naming them
                // would. Without this a node back from a partition, whose chunks' claims are
                // already past the claim timeout, could lose one to the reaper in the seconds
                // before its next heartbeat names it (swarm seeds 316 and 826).
                do { _ = try store.renewClaims(node, chunks: rows.map(\.id)) } catch { throw .store(error) }
            }
            return .opened(.subscribed(nodeID: node, held: rows.compactMap(ChunkAssignment.init(running:))))
        } catch {
            return .refused(.rejected(error))
        }
    }
}

/// The answer to opening an assignment channel.
public enum ChannelOpening: Sendable, Equatable {
    /// Open: send this `subscribed` message first, then the node's pushes.
    case opened(AssignmentChannelMessage)
    /// Refused: answer the upgrade request with this (status, code), and close.
    case refused(HandlerOutcome)

    /// The subscribed node, when opened.
    public var nodeID: NodeID? {
        if case .opened(.subscribed(let id, _)) = self { return id }
        return nil
    }
}
