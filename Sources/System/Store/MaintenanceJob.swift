/// The pg_cron jobs of the seeds (`reap_stale_chunks` and `mark_nodes_offline` every minute,
/// `cleanup_stale_data` hourly) with the arguments the profile gives them, in one place: the
/// simulation's store actor and the production scheduler (which runs them, since a plain
/// PostgreSQL has no pg_cron) call the same functions with the same thresholds.
public enum MaintenanceJob: String, Sendable, CaseIterable {
    case reapStaleChunks = "reap_stale_chunks"
    case markNodesOffline = "mark_nodes_offline"
    case cleanupStaleData = "cleanup_stale_data"

    /// How often the job runs.
    public func period(_ profile: Profile) -> Interval {
        switch self {
        case .reapStaleChunks: return profile.reaperPeriod
        case .markNodesOffline: return profile.offlineMarkingPeriod
        case .cleanupStaleData: return profile.cleanupPeriod
        }
    }

    /// Runs the job (its own transaction); returns how many rows it changed.
    public func run<S: JobStore>(on store: inout S, profile p: Profile) throws(StoreError) -> Int {
        switch self {
        case .reapStaleChunks:
            return try store.reapStaleChunks(
                claimTimeout: p.claimTimeout, renewalWindow: p.claimRenewalWindow, liveClaimLimit: p.liveClaimLimit
            ).count
        case .markNodesOffline:
            return try store.markNodesOffline(silence: p.offlineMarkingAge)
        case .cleanupStaleData:
            let c = try store.cleanupStaleData(CleanupAges(
                unclaimedNode: p.unclaimedNodeTTL, offlineNode: p.offlineNodeTTL, unusedConfig: p.unusedConfigTTL))
            return c.unclaimedNodes + c.offlineNodes + c.unusedConfigs
        }
    }
}
