/// The status machines of the seeds' tables, with the only legal transitions. The store refuses
/// anything else, and the harness's invariant checker asserts the same table on every change.

public enum JobStatus: String, Sendable, CaseIterable, Codable {
    case pending, running, completed

    /// pending → running on the first completed chunk, running → completed on the last;
    /// pending → completed when the first completed chunk is also the last (one-chunk job).
    public func canBecome(_ next: JobStatus) -> Bool {
        switch (self, next) {
        case (.pending, .running), (.running, .completed), (.pending, .completed): return true
        default: return false
        }
    }
}

public enum ChunkStatus: String, Sendable, CaseIterable, Codable {
    case pending, running, completed

    /// pending → running (assigned); running → pending (reaped or reclaimed);
    /// running → completed; pending → completed (a late result from the latest claimant,
    /// accepted after its claim was reaped: results are deterministic, so it saves the rerun).
    public func canBecome(_ next: ChunkStatus) -> Bool {
        switch (self, next) {
        case (.pending, .running), (.running, .pending), (.running, .completed), (.pending, .completed): return true
        default: return false
        }
    }
}

public enum NodeStatus: String, Sendable, CaseIterable, Codable {
    case pending, online, offline

    /// pending → online on the first heartbeat after a claim; online ↔ offline by heartbeats
    /// and the offline marking. A node never returns to pending.
    public func canBecome(_ next: NodeStatus) -> Bool {
        switch (self, next) {
        case (.pending, .online), (.online, .offline), (.offline, .online): return true
        default: return false
        }
    }
}

/// Who may run a job's chunks (`jobs.access_type`).
public enum AccessType: String, Sendable, CaseIterable, Codable {
    /// Only nodes the job's owner claimed.
    case `private`
    /// Any node.
    case `public`
    /// The owner's nodes and nodes with a `user` permission naming the job's owner.
    case user
    /// The owner's nodes and nodes whose owner's Discord id is in the job's guild filter.
    case discord
}

/// A node's grant (`nodes_permissions.access_type`).
public enum PermissionType: String, Sendable, CaseIterable, Codable {
    case `public`, user, guild, owner
}
