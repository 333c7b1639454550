import CPrefetch

/// The nodes' operations: registration, claim, heartbeat, permissions.
extension EmbeddedStore {
    /// Registers a key (status `pending`, unclaimed, never seen), or returns the existing node
    /// for it unchanged (`created: false`): re-registration is idempotent per public key.
    ///
    /// Claim codes are not unique: two unclaimed nodes may show the same code (the code is a few
    /// bits of the key's hash). Both are registered; `claimNode` refuses the ambiguous code.
    public mutating func registerNode(_ registration: NodeRegistration) throws(StoreError) -> NodeRegistered {
        if let handle = nodeByKey[registration.publicKey] {
            return NodeRegistered(node: nodeRow(handle)!, created: false)
        }
        let row = NodeRow(
            id: NodeID(freshID()), publicKey: registration.publicKey, userID: nil, name: registration.name,
            status: .pending, totalCores: registration.totalCores, maxParallel: registration.maxParallel,
            platform: registration.platform, version: registration.version, claimCode: registration.claimCode,
            lastSeenAt: nil, createdAt: now)
        let handle = nodes.count
        nodes.append(row)
        changes.append(.node(NodeChange(id: row.id, from: nil, to: row.status, at: now)))
        nodeRunning.append([])
        nodeDense.append(DenseNode(
            seenMicros: .min, id: row.id, userID: nil, status: row.status, maxParallel: row.maxParallel, name: row.name,
            ownerDiscordID: nil, capacity: row.capacity, running: 0))
        nodePermissions.append([])
        nodePermittedUsers.append([])
        nodeStatusCounts[NodeStatus.pending.ordinal] += 1
        do {
            let dense = nodeDense
            nodeIndex.insert(row.id.raw, handle: handle) { dense[$0].id.raw }
        }
        nodeByKey[row.publicKey] = handle
        nodesByCode[row.claimCode, default: []].append(handle)
        // By the dense ids (binary-searching the rows copied a whole row per probe).
        let position = recentNodeOrder.partitionPoint { nodeDense[$0].id < row.id }
        recentNodeOrder.insert(handle, at: position)
        if recentNodeOrder.count >= Self.recentNodeOrderLimit {
            sortedNodeOrder = mergedNodeOrder()
            recentNodeOrder.removeAll(keepingCapacity: true)
        }
        return NodeRegistered(node: row, created: true)
    }

    /// Folds `recentNodeOrder` into `sortedNodeOrder` (one merge). Run by the periodic writes
    /// (`applyAssignments`, `markNodesOffline`): a fleet whose size is not a multiple of
    /// `recentNodeOrderLimit` kept its remainder there for good, and every read of `nodeOrder`
    /// (each snapshot) merged and allocated the whole order again.
    mutating func settleNodeOrder() {
        guard !recentNodeOrder.isEmpty else { return }
        sortedNodeOrder = mergedNodeOrder()
        recentNodeOrder.removeAll(keepingCapacity: true)
    }

    /// `sortedNodeOrder` and `recentNodeOrder` merged by node id (ids are unique).
    func mergedNodeOrder() -> [Int] {
        var merged: [Int] = []
        merged.reserveCapacity(sortedNodeOrder.count + recentNodeOrder.count)
        var i = 0, j = 0
        while i < sortedNodeOrder.count, j < recentNodeOrder.count {
            if nodeDense[recentNodeOrder[j]].id < nodeDense[sortedNodeOrder[i]].id {
                merged.append(recentNodeOrder[j])
                j += 1
            } else {
                merged.append(sortedNodeOrder[i])
                i += 1
            }
        }
        merged.append(contentsOf: sortedNodeOrder[i...])
        merged.append(contentsOf: recentNodeOrder[j...])
        return merged
    }

    /// The unclaimed node showing `claimCode` becomes the user's (its status stays `pending`
    /// until its first heartbeat). Exact, case-sensitive match; the handler normalises.
    ///
    /// If several unclaimed nodes show it, the earliest registered is claimed (see the comment
    /// in the body: a deliberate collision must not lock the owner out).
    ///
    /// - Throws: `.nodeAlreadyClaimed` if none is unclaimed but a claimed node shows it;
    ///   `.claimCodeNotFound` otherwise.
    public mutating func claimNode(claimCode: String, by user: UserID) throws(StoreError) -> NodeRow {
        let showing = nodesByCode[claimCode] ?? []
        // Several unclaimed nodes showing the code: the earliest registered (created_at, then
        // id). A 30-bit code can be collided on purpose by grinding keys, but only *after*
        // the victim's node has shown it; refusing the ambiguous code would let that lock the
        // owner out of their node, while the earliest-registered rule leaves them the claim.
        let unclaimed = showing.filter { nodes[$0]!.userID == nil }
        let earliest = unclaimed.min { a, b in (nodes[a]!.createdAt, nodes[a]!.id) < (nodes[b]!.createdAt, nodes[b]!.id) }
        guard let handle = earliest else {
            if let claimed = showing.map({ nodes[$0]!.id }).min() { throw .nodeAlreadyClaimed(claimed) }
            throw .claimCodeNotFound(claimCode)
        }
        nodes[handle]!.userID = user
        nodeDense[handle].userID = user
        nodeDense[handle].ownerDiscordID = users[user]?.discordID
        return nodeRow(handle)!
    }

    public func node(_ id: NodeID) -> NodeRow? {
        nodeHandle(id).flatMap { nodeRow($0) }
    }

    public func node(publicKey: PublicKey) -> NodeRow? {
        nodeByKey[publicKey].flatMap { nodeRow($0) }
    }

    /// The caller by its key: one lookup of the key, the id read from the node's dense entry
    /// (which the heartbeat writes anyway), no row copied.
    public func nodeCaller(publicKey: PublicKey) -> NodeCaller? {
        guard let handle = nodeByKey[publicKey] else { return nil }
        return NodeCaller(id: nodeDense[handle].id, handle: handle)
    }

    /// `heartbeat(caller.id)` by the caller's handle (checked against its id; looked up by id
    /// if it is not the node's, e.g. a caller found before the node was deleted), answering
    /// only what the response needs. Reads and writes the node's dense entry only, never its
    /// row (see `DenseNode`).
    ///
    /// Inlined into the heartbeat handler (`nodeHeartbeat`, specialised for this store): called,
    /// its typed-throws answer came back through memory and the handler copied it through
    /// `NodeHeartbeat`'s value witness (a retain of the name, and a 16-byte load of the id
    /// from two 8-byte stores that cannot be forwarded), then destroyed the copy. Inlined, the
    /// handler reads the fields where they are built (-72 instructions a heartbeat).
    @inline(__always)
    public mutating func heartbeat(_ caller: NodeCaller) throws(StoreError) -> NodeHeartbeat {
        let handle = try handle(of: caller)
        try heartbeat(handle: handle, caller.id)
        // Field by field: a copy of the entry would retain and release its strings.
        return NodeHeartbeat(
            id: caller.id, name: nodeDense[handle].name, maxParallel: nodeDense[handle].maxParallel,
            status: nodeDense[handle].status!)
    }

    /// The caller's handle: its own if it still holds the caller's node, else looked up by id
    /// (`.nodeNotFound` if the node is gone).
    @inline(__always)
    func handle(of caller: NodeCaller) throws(StoreError) -> Int {
        let handle = caller.handle
        // The dense entry's id and status (a deleted node's is nil; its entry keeps its id).
        if handle >= 0, handle < nodeDense.count, nodeDense[handle].id == caller.id, nodeDense[handle].status != nil {
            return handle
        }
        guard let found = nodeHandle(caller.id) else { throw .nodeNotFound }
        return found
    }

    /// Claimed nodes only (`.nodeNotClaimed` otherwise): `pending`/`offline` → `online`, and
    /// `last_seen_at = now` (the store's clock: if it is stepped back, it moves backwards, as in SQL).
    public mutating func heartbeat(_ node: NodeID) throws(StoreError) -> NodeRow {
        guard let handle = nodeHandle(node) else { throw .nodeNotFound }
        try heartbeat(handle: handle, node)
        return nodeRow(handle)!
    }

    /// `heartbeat(_:)`'s statement on the node at `handle` (whose id is `node`): its dense
    /// entry only (`last_seen_at` is kept there alone; the status is written to the row too
    /// when it changes).
    private mutating func heartbeat(handle: Int, _ node: NodeID) throws(StoreError) {
        guard nodeDense[handle].userID != nil else { throw .nodeNotClaimed(node) }
        let status = nodeDense[handle].status!
        try Self.checkNode(status, .online, node)
        if status != .online { setNodeStatus(handle, .online) }
        setNodeSeen(handle, micros: now.micros)
    }

    /// `claim_renewed_at = now` for each named chunk that is running on `node` (others are
    /// ignored: completed, reaped, or never received). Returns how many were renewed. The
    /// heartbeat of a node computing a chunk keeps its claim (`reapStaleChunks`).
    public mutating func renewClaims(_ node: NodeID, chunks named: [ChunkID]) throws(StoreError) -> Int {
        guard let nodeHandle = nodeHandle(node) else { throw .nodeNotFound }
        return renewClaims(handle: nodeHandle, chunks: named)
    }

    /// `renewClaims(caller.id, chunks:)` by the caller's handle (checked as `heartbeat(_:)`
    /// checks it): no second lookup of the node for a heartbeat that lists its chunks.
    public mutating func renewClaims(_ caller: NodeCaller, chunks named: [ChunkID]) throws(StoreError) -> Int {
        renewClaims(handle: try handle(of: caller), chunks: named)
    }

    /// Asks for the first lines of the caller's running list (`nodeRunning`), which a
    /// completion (`leaveRunning`) and a heartbeat naming its chunks (`renewClaims`) read: a
    /// heap block of its own per node, cold at 10,000 nodes, and the first load of its count was
    /// most of both functions' samples. Asked for before the request's body is read, the line
    /// comes in meanwhile. Only for a node with claims (its dense entry's count, in cache since
    /// the caller was found): an idle node's list is not read. Nothing is read through the
    /// address; a hint only. `mutating` though it writes nothing, as the requirement is: a
    /// non-mutating witness took the store by value, and the heartbeat's route copied the whole
    /// store struct (`memcpy`, about 110 instructions a heartbeat) to call it.
    public mutating func prepareForClaims(of caller: NodeCaller) {
        let handle = caller.handle
        guard handle >= 0, handle < nodeDense.count, nodeDense[handle].running > 0, handle < nodeRunning.count else { return }
        // The list's storage address read as a word: a copy of the list would retain it, a
        // write to the very line asked for (measured: the miss moved here, into `swift_retain`).
        precondition(MemoryLayout<[RunningClaim]>.size == MemoryLayout<UnsafeRawPointer>.size)
        let storage = nodeRunning.withUnsafeBytes { $0.load(fromByteOffset: handle &* 8, as: UnsafeRawPointer.self) }
        cprefetch_read(storage)
        cprefetch_read(storage + 64)
        // The oldest claim's chunk, the one a completion usually names: its slot and result
        // (read by the completion's `chunk(_:reportedBy:)` and `completeChunk`), each a miss.
        let first = Int(nodeDense[handle].firstClaim)
        chunkSlots.prefetch(first)
        chunkResults.prefetch(first)
    }

    /// `renewClaims`' statement on the node at `nodeHandle`.
    ///
    /// A chunk runs on this node if and only if its claim is in the node's running list
    /// (`checkConsistency()` checks that the list is exactly the chunks running there), so each
    /// named id is looked for in that list, by the ids recomputed from the claims' jobs
    /// (`chunkID(ofClaim:)`): no chunk index probe, no chunk slot read. The search starts after
    /// the last claim found, since a node names its chunks in the order they were assigned:
    /// usually one comparison a name. (Any order finds the same claim: a list holds a chunk
    /// once.) An id named twice renews, and counts, twice, as before.
    private mutating func renewClaims(handle nodeHandle: Int, chunks named: [ChunkID]) -> Int {
        let count = nodeRunning[nodeHandle].count
        guard count > 0 else { return 0 }
        let micros = now.micros
        var renewed = 0
        var start = 0
        for id in named {
            var k = start
            for _ in 0..<count {
                if chunkID(ofClaim: nodeRunning[nodeHandle][k]) == id {
                    nodeRunning[nodeHandle][k].renewedAtMicros = micros
                    renewed += 1
                    start = k + 1 == count ? 0 : k + 1
                    break
                }
                k = k + 1 == count ? 0 : k + 1
            }
        }
        return renewed
    }

    /// Appends a grant (the table has no uniqueness: granting twice makes two rows). A `user`
    /// grant whose target parses as a user id also joins the node's permitted users.
    public mutating func grantPermission(
        node: NodeID, type: PermissionType, target: String?
    ) throws(StoreError) -> PermissionRow {
        guard let handle = nodeHandle(node) else { throw .nodeNotFound }
        let row = PermissionRow(id: PermissionID(freshID()), nodeID: node, accessType: type, targetID: target, createdAt: now)
        nodePermissions[handle].append(row)
        if type == .user, let target, let user = UserID(uuidString: target) {
            let position = nodePermittedUsers[handle].partitionPoint { $0 < user }
            if position == nodePermittedUsers[handle].count || nodePermittedUsers[handle][position] != user {
                nodePermittedUsers[handle].insert(user, at: position)
            }
        }
        return row
    }

    /// A node's grants in the order they were made.
    public func permissions(of node: NodeID) -> [PermissionRow] {
        nodeHandle(node).map { nodePermissions[$0] } ?? []
    }
}

fileprivate extension Array {
    /// The first index whose element does not satisfy `belongs` (the array is partitioned:
    /// all elements satisfying it come first). Binary search.
    func partitionPoint(_ belongs: (Element) -> Bool) -> Int {
        var low = 0, high = count
        while low < high {
            let mid = (low + high) / 2
            if belongs(self[mid]) { low = mid + 1 } else { high = mid }
        }
        return low
    }
}
