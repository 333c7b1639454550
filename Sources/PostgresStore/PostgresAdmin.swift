import JobSystem

/// Schema switches and maintenance that no client operation does: today's missing trigger,
/// and emptying a test database.
public enum PostgresAdmin {
    /// Installs or drops `trg_pending_chunk` (dropped: today's `missing-trigger` defect, where
    /// nothing is ever notified). DDL: for a test or a deliberately degraded database.
    public static func setPendingTrigger(installed: Bool, on db: PGConnection) throws(StoreError) {
        if installed {
            try db.execute("""
                DO $$ BEGIN
                  IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'trg_pending_chunk' AND NOT tgisinternal) THEN
                    CREATE TRIGGER trg_pending_chunk AFTER INSERT OR UPDATE ON public.jobs_chunks
                    FOR EACH ROW EXECUTE FUNCTION notify_pending_chunk();
                  END IF;
                END $$
                """)
        } else {
            try db.execute("DROP TRIGGER IF EXISTS trg_pending_chunk ON jobs_chunks")
        }
    }

    /// Deletes every row of the system's tables (not `schema_migrations`). For tests.
    public static func truncateAll(on db: PGConnection) throws(StoreError) {
        try db.execute("""
            TRUNCATE jobs_chunks, jobs, jobs_configs, nodes_permissions, nodes, users, rotations, request_signatures,
                discord_guild_members
            RESTART IDENTITY CASCADE
            """)
    }
}
