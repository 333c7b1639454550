import JobSystem

/// The nodes' operations and the replay cache.
extension PostgresStore {
    /// `INSERT … ON CONFLICT (public_key) DO NOTHING`, then the existing row if nothing was
    /// inserted: idempotent per key, also when two registrations of one key race.
    public mutating func registerNode(_ registration: NodeRegistration) throws(StoreError) -> NodeRegistered {
        let r = registration
        if let row = try db.execute("""
            INSERT INTO nodes (public_key, name, total_cores, max_parallel, platform, version, claim_code)
            VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (public_key) DO NOTHING RETURNING \(Self.nodeColumns)
            """, [r.publicKey.base64, r.name, String(r.totalCores), String(r.maxParallel), r.platform, r.version, r.claimCode]
        ).first {
            return NodeRegistered(node: try Self.node(row), created: true)
        }
        guard let existing = try node(publicKey: r.publicKey) else { throw .nodeNotFound }
        return NodeRegistered(node: existing, created: false)
    }

    /// READ COMMITTED: locks every node showing the code (`FOR UPDATE`, by id), decides as the
    /// embedded store does (ambiguous, already claimed, not found), then claims the one node.
    public mutating func claimNode(claimCode: String, by user: UserID) throws(StoreError) -> NodeRow {
        try db.transaction(.readCommitted) { (db: PGConnection) throws(StoreError) -> NodeRow in
            // Several unclaimed nodes showing the code: the earliest registered (created_at,
            // then id), so a colliding key ground later cannot lock the owner out.
            let showing = try db.run(
                "SELECT id, user_id IS NULL FROM nodes WHERE claim_code = $1 ORDER BY id FOR UPDATE", [claimCode]).all
            let earliest = try db.run("""
                SELECT id FROM nodes WHERE claim_code = $1 AND user_id IS NULL ORDER BY created_at, id LIMIT 1
                """, [claimCode]).first
            let node: NodeID? = try earliest.map { (r: PGRow) throws(StoreError) -> NodeID in try r.id(0) }
            guard let node else {
                if let claimed = showing.first { throw .nodeAlreadyClaimed(try claimed.id(0)) }
                throw .claimCodeNotFound(claimCode)
            }
            return try Self.node(db.run(
                "UPDATE nodes SET user_id = $2 WHERE id = $1 RETURNING \(Self.nodeColumns)", [node.uuidString, user.uuidString]
            ).first!)
        }
    }

    /// One statement: `claim_renewed_at = now()` (with the attempt it renews) for the named
    /// chunks running on `node`; others are ignored. `.nodeNotFound` for an unknown node.
    public mutating func renewClaims(_ node: NodeID, chunks: [ChunkID]) throws(StoreError) -> Int {
        let rows = try db.run("""
            WITH n AS (SELECT id FROM nodes WHERE id = $1),
                 renewed AS (
                    UPDATE jobs_chunks c SET claim_renewed_at = now(), claim_renewed_attempt = c.attempt
                    WHERE c.id = ANY($2::uuid[]) AND c.node_id = $1 AND c.status = 'running'
                    RETURNING c.id)
            SELECT (SELECT count(*) FROM n), (SELECT count(*) FROM renewed)
            """, [node.uuidString, PGParam.uuids(chunks)]).first!
        guard try rows.int(0) == 1 else { throw .nodeNotFound }
        return try rows.int(1)
    }

    public func node(_ id: NodeID) throws(StoreError) -> NodeRow? {
        try db.execute("SELECT \(Self.nodeColumns) FROM nodes WHERE id = $1", [id.uuidString]).first.map(Self.node)
    }

    public func node(publicKey: PublicKey) throws(StoreError) -> NodeRow? {
        try db.execute("SELECT \(Self.nodeColumns) FROM nodes WHERE public_key = $1", [publicKey.base64]).first.map(Self.node)
    }

    /// One UPDATE (claimed nodes only); if it matched nothing, a lookup says why.
    public mutating func heartbeat(_ node: NodeID) throws(StoreError) -> NodeRow {
        if let row = try db.execute("""
            UPDATE nodes SET status = 'online', last_seen_at = now() WHERE id = $1 AND user_id IS NOT NULL
            RETURNING \(Self.nodeColumns)
            """, [node.uuidString]).first {
            return try Self.node(row)
        }
        guard try self.node(node) != nil else { throw .nodeNotFound }
        throw .nodeNotClaimed(node)
    }

    public mutating func grantPermission(node: NodeID, type: PermissionType, target: String?) throws(StoreError) -> PermissionRow {
        do {
            let r = try db.execute("""
                INSERT INTO nodes_permissions (node_id, access_type, target_id) VALUES ($1, $2, $3)
                RETURNING id, epoch_us(created_at)
                """, [node.uuidString, type.rawValue, target]).first!
            return PermissionRow(id: try r.id(0), nodeID: node, accessType: type, targetID: target, createdAt: try r.timestamp(1))
        } catch {
            if case .database(let state, _) = error, state == "23503" { throw .nodeNotFound }
            throw error
        }
    }

    public func permissions(of node: NodeID) throws(StoreError) -> [PermissionRow] {
        try db.execute("""
            SELECT id, access_type, target_id, epoch_us(created_at) FROM nodes_permissions WHERE node_id = $1 ORDER BY seq
            """, [node.uuidString]).all.map { (r: PGRow) throws(StoreError) -> PermissionRow in
            PermissionRow(id: try r.id(0), nodeID: node, accessType: try r.status(1), targetID: r.optionalString(2),
                          createdAt: try r.timestamp(3))
        }
    }

    /// One statement: insert the signature, or take over its entry if that has expired; of
    /// two concurrent uses of one signature exactly one writes (the unique key), the other is
    /// the replay. Expired entries are deleted once every `signaturePurgeEvery` calls of a
    /// session, not on every request: a range delete on every signed request made every pair
    /// of concurrent requests read (the expiry index's pages) what the other wrote, so under
    /// SERIALIZABLE they failed each other (503 `transaction_conflict` under load).
    public mutating func rememberSignature(_ signature: Signature, expiresAt: Timestamp) throws(StoreError) -> Bool {
        signatureCalls &+= 1
        let purge = signatureCalls % Self.signaturePurgeEvery == 0
        return try db.transaction(.readCommitted) { (db: PGConnection) throws(StoreError) -> Bool in
            if purge { try db.run("DELETE FROM request_signatures WHERE expires_at < now()", []) }
            return !(try db.run("""
                INSERT INTO request_signatures AS s (signature, expires_at)
                VALUES ($1, timestamptz 'epoch' + $2::bigint * interval '1 microsecond')
                ON CONFLICT (signature) DO UPDATE SET expires_at = EXCLUDED.expires_at WHERE s.expires_at < now()
                RETURNING 1
                """, [signature.base64, String(expiresAt.micros)])).isEmpty
        }
    }

    /// How often (in `rememberSignature` calls of one session) expired signatures are deleted.
    static let signaturePurgeEvery = 256
}
