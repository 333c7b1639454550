/// The sentinel's operations: the pass snapshot, applying a plan, today's reclaim; and the
/// pending queue and running sets they rest on.
extension EmbeddedStore {
    // MARK: Snapshot

    /// At most `limit` pending chunks in `pending_seq` order, read from the front of the pending
    /// queue (never a scan of all chunks); the nodes with `last_seen_at > now - onlineWindow`,
    /// whatever their status column says: counted, and listed only with a free slot (the best
    /// `nodesWanted` by most free slots, then lowest id), by id; and the chunks' jobs by id.
    ///
    /// From the store's indexes, not a walk over every node: the count and the stalest online
    /// node from the sighting order (`SightingOrder`), the listed nodes from the front of the
    /// free-slot index (`FreeSlotIndex`), skipping the seen nodes that are silent (after a
    /// partition, all of them at the front: never more than a walk would read), then sorted by
    /// id. The walk it replaced is the model tests' reference (`assignmentSnapshotByWalk`, in
    /// the tests).
    public func assignmentSnapshot(limit: Int, onlineWindow: Interval) -> AssignmentSnapshot {
        let since = (now - onlineWindow).micros
        let (picked, snapshotJobs, more) = pendingForSnapshot(limit: limit)
        let wanted = AssignmentSnapshot.nodesWanted(chunks: picked.count, jobs: snapshotJobs)
        let dense = nodeDense  // (the same pages: a reference, not a copy)
        // Each id read once, then sorted (reading ids inside the comparator cost more).
        var chosen = freeSlots.best(wanted, id: { dense[$0].id }) { dense[$0].seenMicros > since }
            .map { (id: dense[Int($0)].id, handle: Int($0)) }
        chosen.sort { $0.id < $1.id }
        var online: [AssignmentSnapshot.Node] = []
        online.reserveCapacity(chosen.count)
        for (_, handle) in chosen {
            let node = dense[handle]
            online.append(AssignmentSnapshot.Node(
                id: node.id, userID: node.userID, ownerDiscordID: node.ownerDiscordID,
                capacity: node.capacity, running: node.running,
                permittedUsers: nodePermittedUsers[handle]))
        }
        let stalest = sightings.stalest(after: since) { nodeDense[$0].id }
        return AssignmentSnapshot(
            chunks: picked, nodes: online, jobs: snapshotJobs, morePending: more,
            onlineNodes: sightings.count(after: since), stalestOnlineNode: stalest.map { nodeDense[$0].id })
    }

    /// The pending half of the snapshot: at most `limit` chunks from the front of the pending
    /// queue, their jobs by id, and whether more are pending (internal: the tests' reference
    /// walk shares it).
    func pendingForSnapshot(limit: Int) -> ([AssignmentSnapshot.Chunk], [AssignmentSnapshot.Job], Bool) {
        var picked: [AssignmentSnapshot.Chunk] = []
        picked.reserveCapacity(max(0, min(limit, chunkStatusCounts[ChunkStatus.pending.ordinal])))
        var pickedJobs: [Int] = []
        pickedJobs.reserveCapacity(picked.capacity)
        var more = false
        var position = pendingHead
        while position < pendingQueue.count {
            let entry = pendingQueue[position]
            position += 1
            guard isLive(entry) else { continue }
            if picked.count >= limit {
                more = true
                break
            }
            let slot = chunkSlots[entry.chunk]
            picked.append(AssignmentSnapshot.Chunk(
                id: chunkID(entry.chunk), jobID: jobs[Int(slot.job)].id, pendingSeq: pendingSeq(entry.chunk), lastNodeID: nodeID(slot.lastNode)))
            pickedJobs.append(Int(slot.job))
        }

        pickedJobs.sort()
        var snapshotJobs: [AssignmentSnapshot.Job] = []
        var previous = -1
        for handle in pickedJobs where handle != previous {
            previous = handle
            let row = jobs[handle]
            snapshotJobs.append(AssignmentSnapshot.Job(
                id: row.id, userID: row.userID, accessType: row.accessType, discordServerID: row.discordServerID))
        }
        snapshotJobs.sort { $0.id < $1.id }
        return (picked, snapshotJobs, more)
    }

    // MARK: Applying a plan

    /// Applies the plan in order. Each assignment sets `status = running`, `node_id`,
    /// `claimed_at = now`, `attempt += 1`, `last_node_id = node`, and adds one to the node's
    /// running count. Returns what was assigned, in plan order.
    ///
    /// - Guarded (the fix): a row is applied only if `AssignmentGuard.admits` it at that moment
    ///   (counting rows applied before it); other rows are skipped silently. Two sentinels can
    ///   never give one chunk to two nodes.
    /// - Unguarded (today's batch update): every row is written. A running chunk is taken from
    ///   its node and given to the new one (the old node's running count drops, so counts always
    ///   equal the chunks running there); capacity is not checked; a chunk listed twice ends on
    ///   the last node. A row naming a *completed* chunk moves it back to running, as today's
    ///   UPDATE does in PostgreSQL, which checks no transition: the row keeps its result and
    ///   `completed_at`, the job counts it unfinished again (its status column is left as it
    ///   was, completed perhaps), and the next completion of the chunk is counted again. The
    ///   status-machine invariants of the harness see the illegal `completed → running`.
    ///
    /// - Throws: `.chunkNotFound` / `.nodeNotFound` for a row naming a row that does not exist,
    ///   in either mode (the foreign keys), before anything is written.
    public mutating func applyAssignments(
        _ plan: [PlannedAssignment], guarded: Bool, onlineWindow: Interval?
    ) throws(StoreError) -> [ChunkAssignment] {
        let onlineSince = onlineWindow.map { now - $0 }
        var resolved: [(chunk: Int, node: Int)] = []
        resolved.reserveCapacity(plan.count)
        for row in plan {
            guard let chunk = chunkHandle(row.chunkID) else { throw .chunkNotFound(row.chunkID) }
            guard let node = nodeHandle(row.nodeID) else { throw .nodeNotFound }
            resolved.append((chunk, node))
        }
        settleNodeOrder()  // validated: a thrown error left everything as it was
        var made: [ChunkAssignment] = []
        made.reserveCapacity(plan.count)
        for (chunk, node) in resolved {
            if guarded {
                // The node's running count, capacity and sighting all from its dense entry (equal
                // to its running list's count and its row's capacity: `setNodeRunning` follows
                // every change of the list, capacity is fixed at registration, and
                // `checkConsistency` checks both): the row (184 bytes) and the list's buffer were
                // two more cache misses per assignment at 10,000 nodes.
                guard AssignmentGuard.admits(
                    chunkStatus: chunkSlots[chunk].status, chunkNode: nodeID(chunkSlots[chunk].node),
                    nodeRunning: nodeDense[node].running, nodeCapacity: nodeDense[node].capacity,
                    nodeLastSeen: nodeLastSeen(node), onlineSince: onlineSince)
                else { continue }
            }
            made.append(assign(chunk, to: node))
        }
        trimPendingQueue()
        return made
    }

    /// One assignment; the caller validated it.
    private mutating func assign(_ chunk: Int, to node: Int) -> ChunkAssignment {
        if chunkSlots[chunk].status == .running { leaveRunning(chunk) }
        if chunkSlots[chunk].status == .completed {
            // Only the unguarded batch gets here: PostgreSQL writes the row back to running.
            jobUnfinished[Int(chunkSlots[chunk].job)] += 1
            setChunkStatus(chunk, .running, unchecked: true)
        } else {
            setChunkStatus(chunk, .running)
        }
        let nodeID = nodeDense[node].id
        // `last_node_id` first: `node_id` is NULL or `last_node_id` (see `ChunkSlot`).
        chunkSlots[chunk].lastNode = Int32(node)
        chunkSlots[chunk].node = Int32(node)
        chunkSlots[chunk].claimedAt = now
        chunkSlots[chunk].attempt += 1
        nodeRunning[node].append(RunningClaim(chunk: chunk, job: chunkSlots[chunk].job, renewedAtMicros: RunningClaim.notRenewed))
        setNodeRunning(node, nodeRunning[node].count)
        let slot = chunkSlots[chunk]
        claims.push(ClaimEntry(claimedAtMicros: now.micros, chunk: Int32(chunk), attempt: slot.attempt))
        chunkRowWritten(chunk)
        let job = Int(slot.job)
        return ChunkAssignment(
            chunkID: chunkID(chunk), jobID: jobs[job].id, nodeID: nodeID, attempt: Int(slot.attempt), configHash: jobs[job].configHash,
            iterations: chunkIterations(chunk), seedOffset: chunkSeedOffset(chunk), claimedAt: now)
    }

    // MARK: Today's reclaim

    /// Today's reclaim.rs: every running chunk whose node has `last_seen_at < now - silence`
    /// (a node never seen does not match, as NULL compares false in SQL) goes back to pending,
    /// in chunk id order; returns them in that order.
    public mutating func reclaimChunksOfSilentNodes(silence: Interval) throws(StoreError) -> [ChunkID] {
        let silentSince = now - silence
        var victims: [Int] = []
        for handle in nodeOrder where !nodeRunning[handle].isEmpty {
            if let seen = nodeLastSeen(handle), seen < silentSince { victims += nodeRunning[handle].lazy.map(\.chunk) }
        }
        let ordered = victims.map { (chunkID($0), $0) }.sorted { $0.0 < $1.0 }
        for (_, chunk) in ordered { releaseToPending(chunk) }
        return ordered.map(\.0)
    }

    // MARK: Running and pending sets

    /// Running chunks in creation order (job creation, then chunk index). Built from the
    /// per-node running lists, not a scan of all chunks.
    public func runningChunks() -> [ChunkRow] {
        var handles: [Int] = []
        handles.reserveCapacity(chunkStatusCounts[ChunkStatus.running.ordinal])
        for handle in nodeOrder { handles += nodeRunning[handle].lazy.map(\.chunk) }
        handles.sort()
        return handles.map { chunkRow($0) }
    }

    /// The chunks running on `node`, in creation order, from the node's own list.
    public func runningChunks(ofNode node: NodeID) -> [ChunkRow] {
        guard let handle = nodeHandle(node) else { return [] }
        return nodeRunning[handle].map(\.chunk).sorted().map { chunkRow($0) }
    }

    /// Chunks with status `running`: the count by status, which equals the running lists'
    /// total (`checkConsistency()` checks both against the rows).
    public func runningChunkCount() -> Int { chunkStatusCounts[ChunkStatus.running.ordinal] }

    /// Chunks with status `pending` (all of which have `node_id` NULL).
    public func pendingChunkCount() -> Int { chunkStatusCounts[ChunkStatus.pending.ordinal] }

    /// A running chunk back to pending: `node_id` and `claimed_at` NULL, back in the queue at
    /// its old place, trigger run. Keeps `attempt` and `last_node_id`, so the late result of the
    /// claim just taken away can still be recognised.
    mutating func releaseToPending(_ chunk: Int) {
        leaveRunning(chunk)
        setChunkStatus(chunk, .pending)
        chunkSlots[chunk].node = ChunkSlot.noNode
        chunkSlots[chunk].claimedAt = nil
        requeuePending(chunk)
        chunkRowWritten(chunk)
    }

    /// Removes a running chunk from its node's running list (the status is set by the caller).
    mutating func leaveRunning(_ chunk: Int) {
        let node = Int(chunkSlots[chunk].node)
        guard node >= 0, let position = nodeRunning[node].firstIndex(where: { $0.chunk == chunk }) else { return }
        nodeRunning[node].remove(at: position)
        setNodeRunning(node, nodeRunning[node].count)
    }

    /// Gives a new chunk its `pending_seq` (creation order) and appends it to the queue (which
    /// stays sorted).
    mutating func enqueuePending(_ chunk: Int) {
        precondition(pendingSeq(chunk) == nextPendingSeq, "chunks take their pending_seq in handle order")
        pendingQueue.append(PendingEntry(seq: nextPendingSeq, chunk: chunk))
        nextPendingSeq += 1
    }

    /// A chunk pending again keeps its `pending_seq`, so it goes back to its place by creation,
    /// at the front of the queue: today's `ORDER BY created_at` (a reaped chunk keeps its
    /// `created_at`). Its old entry is live again if it is still stored; otherwise it is put
    /// back in order: just before the head when it is older than every live entry (the usual
    /// case, O(1)), else at its binary-search position.
    mutating func requeuePending(_ chunk: Int) {
        let seq = pendingSeq(chunk)
        var lo = pendingHead, hi = pendingQueue.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if pendingQueue[mid].seq < seq { lo = mid + 1 } else { hi = mid }
        }
        if lo < pendingQueue.count && pendingQueue[lo].seq == seq { return }  // still stored: live again
        let entry = PendingEntry(seq: seq, chunk: chunk)
        if lo == pendingHead && pendingHead > 0 {
            pendingHead -= 1
            pendingQueue[pendingHead] = entry
        } else {
            pendingQueue.insert(entry, at: lo)
        }
    }

    func isLive(_ entry: PendingEntry) -> Bool { Self.isLive(entry, chunkSlots) }

    /// `isLive` from the slots alone (`pending_seq` is the handle plus one, see `ChunkSlot`):
    /// what the mutating walks below call, since calling the method on `self` from a mutating
    /// loop copied the whole store (every table retained and released, about 2,300
    /// instructions) for each entry looked at: once per chunk that passed the queue's head.
    @inline(__always) static func isLive(_ entry: PendingEntry, _ slots: PagedArray<ChunkSlot>) -> Bool {
        slots[entry.chunk].status == .pending && Int64(entry.chunk) + 1 == entry.seq
    }

    /// Drops stale entries from the front, and compacts the whole queue once stale entries
    /// outnumber live ones (a chunk skipped by every pass and then completed leaves one in the
    /// middle), so a snapshot's walk stays proportional to the chunks it returns.
    ///
    /// Both walks test entries with the static `isLive` on a reference to the slots (see there).
    mutating func trimPendingQueue() {
        let slots = chunkSlots  // (a reference to the same pages, not a copy)
        while pendingHead < pendingQueue.count, !Self.isLive(pendingQueue[pendingHead], slots) { pendingHead += 1 }
        let live = chunkStatusCounts[ChunkStatus.pending.ordinal]
        let stored = pendingQueue.count - pendingHead
        if pendingHead > 1_024 && pendingHead > stored {
            pendingQueue.removeFirst(pendingHead)
            pendingHead = 0
        }
        if stored - live > 1_024 && stored - live > live {
            var kept = 0
            for position in pendingHead..<pendingQueue.count where Self.isLive(pendingQueue[position], slots) {
                pendingQueue[kept] = pendingQueue[position]
                kept += 1
            }
            pendingQueue.removeLast(pendingQueue.count - kept)
            pendingHead = 0
        }
    }
}
