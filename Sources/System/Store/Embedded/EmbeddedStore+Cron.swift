/// The pg_cron functions.
extension EmbeddedStore {
    /// `reap_stale_chunks()`: every running chunk with `claimed_at < now - claimTimeout` back to
    /// pending (`node_id`, `claimed_at` NULL, trigger run), oldest claim first, ties by chunk id.
    /// Returns them in that order.
    ///
    /// With `renewalWindow` (the fixed system) a claim its holder renewed within that window (its
    /// heartbeat named the chunk: the node is alive and computing it) is kept, unless it was
    /// claimed more than `liveClaimLimit` ago (see `Profile.liveClaimLimit` for why). In SQL: `AND
    /// (c.claimed_at < now() - live_claim_limit OR c.claim_renewed_at IS NULL OR
    /// c.claim_renewed_at < c.claimed_at OR c.claim_renewed_at <= now() - renewal_window)`.
    /// Without it (today), every old claim goes.
    ///
    /// Reads the claims heap: cost is proportional to claims made since the last run plus the
    /// old claims of live nodes (set aside and pushed back), not to the number of chunks.
    /// Claims that ended otherwise (completed, reclaimed, overwritten) are discarded as they
    /// surface.
    public mutating func reapStaleChunks(
        claimTimeout: Interval, renewalWindow: Interval?, liveClaimLimit: Interval
    ) throws(StoreError) -> [ChunkID] {
        let claimedBefore = now - claimTimeout
        let renewedSince = renewalWindow.map { now - $0 }
        let liveClaimedBefore = now - liveClaimLimit
        var due: [ClaimEntry] = []
        var kept: [ClaimEntry] = []
        while let claim = claims.min, claim.claimedAt < claimedBefore {
            claims.popMin()
            let slot = chunkSlots[Int(claim.chunk)]
            guard slot.status == .running, slot.attempt == claim.attempt else { continue }
            if let since = renewedSince, claim.claimedAt >= liveClaimedBefore,
                let renewed = nodeRunning[Int(slot.node)].first(where: { $0.chunk == Int(claim.chunk) })?.renewedAt,
                renewed > since
            {
                kept.append(claim)
                continue
            }
            due.append(claim)
        }
        for claim in kept { claims.push(claim) }
        // Oldest claim first, ties by chunk id, as the SQL orders them (the heap breaks ties by
        // handle; each chunk has at most one live claim, so the order is total).
        due.sort { (a, b) in
            (a.claimedAtMicros, chunkID(Int(a.chunk))) < (b.claimedAtMicros, chunkID(Int(b.chunk)))
        }
        var reaped: [ChunkID] = []
        reaped.reserveCapacity(due.count)
        for claim in due {
            let chunk = Int(claim.chunk)
            releaseToPending(chunk)  // removes the claim, and its renewal, from the node's list
            reaped.append(chunkID(chunk))
        }
        return reaped
    }

    /// `mark_nodes_offline()`: every `online` node with `last_seen_at < now - silence` becomes
    /// `offline`. Returns how many. One scan of the live nodes.
    public mutating func markNodesOffline(silence: Interval) throws(StoreError) -> Int {
        settleNodeOrder()
        let lastSeenBefore = now - silence
        var marked = 0
        for handle in nodeOrder {
            // The dense entry (status and `last_seen_at`): no row copied per node.
            guard nodeDense[handle].status == .online, let seen = nodeLastSeen(handle), seen < lastSeenBefore else { continue }
            setNodeStatus(handle, .offline)
            marked += 1
        }
        return marked
    }

    /// `cleanup_stale_data()`: deletes, with ages measured back from `now`,
    /// - unclaimed nodes still `pending` created before `now - ages.unclaimedNode`;
    /// - `offline` nodes last seen before `now - ages.offlineNode`;
    /// - configs no job references whose `last_used_at` is before `now - ages.unusedConfig`.
    ///
    /// A node's permissions go with it. A node with a chunk running on it is kept (the chunk's
    /// `node_id` references it; it is reaped first, so this only matters if the reaper is off).
    /// Jobs and chunks are never deleted, so completed chunks keep naming deleted nodes.
    public mutating func cleanupStaleData(_ ages: CleanupAges) throws(StoreError) -> CleanupCounts {
        let unclaimedBefore = now - ages.unclaimedNode
        let offlineBefore = now - ages.offlineNode
        let unusedConfigBefore = now - ages.unusedConfig
        var counts = CleanupCounts()
        var doomed: [Int] = []
        for handle in nodeOrder where nodeRunning[handle].isEmpty {
            let row = nodeRow(handle)!
            if row.status == .pending, row.userID == nil, row.createdAt < unclaimedBefore {
                counts.unclaimedNodes += 1
                doomed.append(handle)
            } else if row.status == .offline, let seen = row.lastSeenAt, seen < offlineBefore {
                counts.offlineNodes += 1
                doomed.append(handle)
            }
        }
        for handle in doomed { deleteNode(handle) }
        if !doomed.isEmpty {
            let gone = Set(doomed)
            nodeOrder.removeAll { gone.contains($0) }
        }

        var kept: [ConfigHash] = []
        kept.reserveCapacity(configOrder.count)
        for hash in configOrder {
            let row = configs[hash]!
            if jobsPerConfig[hash, default: 0] == 0, row.lastUsedAt < unusedConfigBefore {
                configs[hash] = nil
                counts.unusedConfigs += 1
            } else {
                kept.append(hash)
            }
        }
        configOrder = kept
        return counts
    }

    /// Removes a node's row and index entries; the caller fixes `nodeOrder`.
    private mutating func deleteNode(_ handle: Int) {
        let row = nodes[handle]!
        nodeStatusCounts[row.status.ordinal] -= 1
        do {
            let dense = nodeDense
            nodeIndex.remove(row.id.raw) { dense[$0].id.raw }
        }
        nodeByKey[row.publicKey] = nil
        nodesByCode[row.claimCode]?.removeAll { $0 == handle }
        if nodesByCode[row.claimCode]?.isEmpty == true { nodesByCode[row.claimCode] = nil }
        nodePermissions[handle] = []
        nodePermittedUsers[handle] = []
        nodes[handle] = nil
        nodeDense[handle].status = nil
        setNodeSeen(handle, micros: .min)
    }
}
