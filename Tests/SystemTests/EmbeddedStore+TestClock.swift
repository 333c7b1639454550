@testable import JobSystem

/// The embedded store's operations at an instant of its clock: each sets the store's `now` to
/// the given time, then runs the operation with the interval that reaches back to the given
/// threshold, which is exactly what the old absolute-threshold calls meant. The embedded
/// store's own tests and the handler tests read better this way; the two-store contract suite
/// (`Tests/StoreContractTests`) uses only the protocol.
extension EmbeddedStore {
    mutating func upsertConfig(_ config: NewConfig, checkThenInsert: Bool, now: Timestamp) throws(StoreError) -> Bool {
        self.now = now
        return try upsertConfig(config, checkThenInsert: checkThenInsert)
    }

    mutating func createJob(_ job: NewJob, upserting config: NewConfig?, now: Timestamp) throws(StoreError) -> JobCreated {
        self.now = now
        return try createJob(job, upserting: config)
    }

    mutating func upsertRotation(_ row: RotationRow) throws(StoreError) {
        now = row.createdAt
        try upsertRotation(id: row.id, canonicalJSON: row.canonicalJSON)
    }

    mutating func registerNode(_ registration: NodeRegistration, now: Timestamp) throws(StoreError) -> NodeRegistered {
        self.now = now
        return try registerNode(registration)
    }

    mutating func claimNode(claimCode: String, by user: UserID, now: Timestamp) throws(StoreError) -> NodeRow {
        self.now = now
        return try claimNode(claimCode: claimCode, by: user)
    }

    mutating func heartbeat(_ node: NodeID, now: Timestamp) throws(StoreError) -> NodeRow {
        self.now = now
        return try heartbeat(node)
    }

    mutating func grantPermission(node: NodeID, type: PermissionType, target: String?, now: Timestamp) throws(StoreError) -> PermissionRow {
        self.now = now
        return try grantPermission(node: node, type: type, target: target)
    }

    mutating func completeChunk(_ completion: Completion, rules: CompletionRules, now: Timestamp) throws(StoreError) -> CompletionOutcome {
        self.now = now
        return try completeChunk(completion, rules: rules)
    }

    mutating func rememberSignature(_ signature: Signature, expiresAt: Timestamp, now: Timestamp) throws(StoreError) -> Bool {
        self.now = now
        return try rememberSignature(signature, expiresAt: expiresAt)
    }

    /// A snapshot of the nodes seen after `onlineSince`, at the store's current clock.
    func assignmentSnapshot(limit: Int, onlineSince: Timestamp) -> AssignmentSnapshot {
        assignmentSnapshot(limit: limit, onlineWindow: now - onlineSince)
    }

    mutating func applyAssignments(
        _ plan: [PlannedAssignment], guarded: Bool, onlineSince: Timestamp? = nil, now: Timestamp
    ) throws(StoreError) -> [ChunkAssignment] {
        self.now = now
        return try applyAssignments(plan, guarded: guarded, onlineWindow: onlineSince.map { now - $0 })
    }

    mutating func reclaimChunksOfSilentNodes(silentSince: Timestamp, now: Timestamp) throws(StoreError) -> [ChunkID] {
        self.now = now
        return try reclaimChunksOfSilentNodes(silence: now - silentSince)
    }

    mutating func reapStaleChunks(claimedBefore: Timestamp, now: Timestamp) throws(StoreError) -> [ChunkID] {
        self.now = now
        return try reapStaleChunks(claimTimeout: now - claimedBefore)
    }

    mutating func reapStaleChunks(
        claimedBefore: Timestamp, renewedSince: Timestamp?, liveClaimedBefore: Timestamp, now: Timestamp
    ) throws(StoreError) -> [ChunkID] {
        self.now = now
        return try reapStaleChunks(
            claimTimeout: now - claimedBefore, renewalWindow: renewedSince.map { now - $0 }, liveClaimLimit: now - liveClaimedBefore)
    }

    mutating func renewClaims(_ node: NodeID, chunks: [ChunkID], now: Timestamp) throws(StoreError) -> Int {
        self.now = now
        return try renewClaims(node, chunks: chunks)
    }

    mutating func markNodesOffline(lastSeenBefore: Timestamp, now: Timestamp) throws(StoreError) -> Int {
        self.now = now
        return try markNodesOffline(silence: now - lastSeenBefore)
    }

    mutating func cleanupStaleData(
        unclaimedBefore: Timestamp, offlineBefore: Timestamp, unusedConfigBefore: Timestamp, now: Timestamp
    ) throws(StoreError) -> CleanupCounts {
        self.now = now
        return try cleanupStaleData(CleanupAges(
            unclaimedNode: now - unclaimedBefore, offlineNode: now - offlineBefore, unusedConfig: now - unusedConfigBefore))
    }
}
