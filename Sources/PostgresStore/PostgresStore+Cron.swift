import JobSystem

/// The pg_cron functions, called with the profile's thresholds (their SQL defaults are the
/// seeds' values). Each is one statement in its own READ COMMITTED transaction, so that a
/// deadlock with a guarded apply (both lock nodes; the UPDATE in scan order) is retried
/// rather than surfaced.
extension PostgresStore {
    public mutating func reapStaleChunks(
        claimTimeout: Interval, renewalWindow: Interval?, liveClaimLimit: Interval
    ) throws(StoreError) -> [ChunkID] {
        try db.transaction(.readCommitted) { (db: PGConnection) throws(StoreError) -> [ChunkID] in
            try db.run("""
                SELECT reap_stale_chunks($1::bigint * interval '1 microsecond', $2::bigint * interval '1 microsecond',
                    $3::bigint * interval '1 microsecond')
                """, [PGParam.micros(claimTimeout), renewalWindow.map(PGParam.micros), PGParam.micros(liveClaimLimit)]
            ).all.map { (r: PGRow) throws(StoreError) -> ChunkID in try r.id(0) }
        }
    }

    public mutating func markNodesOffline(silence: Interval) throws(StoreError) -> Int {
        try db.transaction(.readCommitted) { (db: PGConnection) throws(StoreError) -> Int in
            try db.run("SELECT mark_nodes_offline($1::bigint * interval '1 microsecond')", [PGParam.micros(silence)]).first!.int(0)
        }
    }

    public mutating func cleanupStaleData(_ ages: CleanupAges) throws(StoreError) -> CleanupCounts {
        let r = try db.transaction(.readCommitted) { (db: PGConnection) throws(StoreError) -> PGRow in
            try db.run("""
                SELECT * FROM cleanup_stale_data($1::bigint * interval '1 microsecond',
                    $2::bigint * interval '1 microsecond', $3::bigint * interval '1 microsecond')
                """, [PGParam.micros(ages.unclaimedNode), PGParam.micros(ages.offlineNode), PGParam.micros(ages.unusedConfig)]
            ).first!
        }
        var counts = CleanupCounts()
        counts.unclaimedNodes = try r.int(0)
        counts.offlineNodes = try r.int(1)
        counts.unusedConfigs = try r.int(2)
        return counts
    }
}
