/// Every threshold of the system, one value each, read by every component that needs it, and
/// the defect switches. Threshold tuning is validated by running scenarios under a changed
/// profile before production is changed.
public struct Profile: Sendable, Equatable {
    public var name: String
    public var defects: DefectSet
    /// Our changes beyond the seeded defects: all in `fixed`, none in `legacy` (today's code).
    public var improvements: ImprovementSet

    // MARK: Nodes
    /// How often a node heartbeats.
    public var heartbeatInterval: Interval = .seconds(15)
    /// A node is online iff `last_seen_at > now - onlineWindow`: the scheduler assigns only to
    /// such nodes and the offline marking uses the same window (three missed heartbeats).
    public var onlineWindow: Interval = .seconds(45)
    /// How often `mark_nodes_offline` runs.
    public var offlineMarkingPeriod: Interval = .minutes(1)
    /// First and largest pause between a node's chunk-complete retries (doubling, with jitter).
    public var completionRetryBase: Interval = .seconds(1)
    public var completionRetryMax: Interval = .seconds(60)

    // MARK: Chunks
    /// A running chunk whose claim is older than this is reaped back to pending.
    public var claimTimeout: Interval = .minutes(5)
    /// The longest a node keeps a claim it renews.
    ///
    /// Why renewals: the claim timeout exists to recover the work of nodes that died, were cut
    /// off or never received their assignment, not to cap how long a chunk may take. So a
    /// node's heartbeat names the chunks its workers are computing, the store renews those
    /// claims (`claim_renewed_at`), and the fixed reaper takes a chunk back only once its claim
    /// is older than `claimTimeout` *and* it was not renewed within the online window: a slow
    /// chunk on a live node (a slow machine, a long fight) is left to finish instead of being
    /// computed twice; a crashed or cut-off node's chunks, and a chunk whose assignment never
    /// reached its node, are reaped as before. (Requiring only that the node be silent would
    /// keep the last kind forever on a live node.) A heartbeat proves the process is alive, not
    /// that its worker pool progresses, so a renewed claim still ends at this much larger
    /// limit: a hung worker pool (`node-hang`) loses its chunks after it rather than never.
    public var liveClaimLimit: Interval = .minutes(30)
    /// How often `reap_stale_chunks` runs.
    public var reaperPeriod: Interval = .minutes(1)
    /// Iterations per chunk; the last chunk takes the remainder.
    public var chunkIterations: Int = 1_000
    /// Upper bound on a job's iterations (10,000 chunks).
    public var maxJobIterations: Int = 10_000_000

    // MARK: Sentinel
    /// The LISTEN timeout: a pass runs at least this often.
    public var fallbackPeriod: Interval = .seconds(30)
    /// Wait after a notification before the pass, so a burst of inserts makes one pass.
    public var debounce: Interval = .milliseconds(50)
    /// Pending chunks read per pass.
    public var assignmentBatch: Int = 100

    // MARK: Requests
    /// Accepted distance between a signed request's timestamp and the server's clock.
    public var signatureWindow: Interval = .seconds(300)
    /// Largest accepted config, canonical JSON bytes.
    public var maxConfigBytes: Int = 64 * 1024
    /// Request sizes, cost and rates (`RequestLimits`).
    public var limits = RequestLimits()

    // MARK: Clean-up (`cleanup_stale_data`)
    public var cleanupPeriod: Interval = .hours(1)
    public var unclaimedNodeTTL: Interval = .hours(1)
    public var offlineNodeTTL: Interval = .days(30)
    public var unusedConfigTTL: Interval = .days(7)

    // MARK: Today's values that the defects reintroduce
    /// The sentinel's online window today (assign.rs).
    public var legacySentinelOnlineWindow: Interval = .seconds(30)
    /// The offline marking's age today (`mark_nodes_offline`).
    public var legacyOfflineMarkingAge: Interval = .minutes(5)
    /// Node silence after which today's sentinel reclaims its chunks (reclaim.rs).
    public var legacyReclaimSilence: Interval = .seconds(60)

    public init(name: String, defects: DefectSet, improvements: ImprovementSet = .all) {
        self.name = name
        self.defects = defects
        self.improvements = improvements
    }

    /// The system as it should be.
    public static let fixed = Profile(name: "fixed", defects: .none)
    /// The system as it is today: every defect of the seeds on, none of our improvements.
    public static let legacy = Profile(name: "legacy", defects: .all, improvements: .none)

    /// The fixed system with exactly one defect turned on (and every improvement).
    public static func fixed(with defect: Defect) -> Profile {
        Profile(name: "fixed+\(defect.rawValue)", defects: DefectSet([defect]))
    }

    /// Inlined (`@inline(__always)`): called out of line on a profile held in a struct
    /// (`RequestHandlers.profile`), it made the caller copy the whole 288-byte `Profile` to the
    /// stack first, a `memcpy` on every request (`begin`) and three on every completion
    /// (`completionRules`); inlined it is one load and a test of a constant bit.
    @inline(__always) public func has(_ d: Defect) -> Bool { defects.contains(d) }
    @inline(__always) public func has(_ i: Improvement) -> Bool { improvements.contains(i) }

    /// The window the scheduler uses to decide a node is online.
    public var sentinelOnlineWindow: Interval {
        has(.mismatchedOnlineThresholds) ? legacySentinelOnlineWindow : onlineWindow
    }

    /// The age of `last_seen_at` at which `mark_nodes_offline` sets a node offline.
    public var offlineMarkingAge: Interval {
        has(.mismatchedOnlineThresholds) ? legacyOfflineMarkingAge : onlineWindow
    }

    /// The reaper's rule: a claim renewed by its holder within this window is kept (up to
    /// `liveClaimLimit`); nil reaps every claim older than `claimTimeout` (today's
    /// `reaps-live-claims`: today's store has no renewals).
    public var claimRenewalWindow: Interval? {
        has(.reapsLiveClaims) ? nil : onlineWindow
    }

    /// The fixed system without one of our improvements: what that improvement is for.
    public static func fixed(without improvement: Improvement) -> Profile {
        var p = Profile(name: "fixed-\(improvement.rawValue)", defects: .none)
        p.improvements.remove(improvement)
        return p
    }

    /// Profiles by name: `fixed`, `legacy`, `fixed+<defect>` for each defect and
    /// `fixed-<improvement>` for each improvement, each optionally with threshold overrides
    /// (`fixed:heartbeat=10s:claim-timeout=3m`, see `Profile(spec:)`).
    public static func named(_ name: String) -> Profile? {
        if name.contains(":") { return try? Profile(spec: name) }
        if name == "fixed" { return .fixed }
        if name == "legacy" { return .legacy }
        if name.hasPrefix("fixed+"), let d = Defect(rawValue: String(name.dropFirst(6))) { return .fixed(with: d) }
        if name.hasPrefix("fixed-"), let i = Improvement(rawValue: String(name.dropFirst(6))) { return .fixed(without: i) }
        return nil
    }
}
