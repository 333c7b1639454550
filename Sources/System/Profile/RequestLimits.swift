/// What one request may ask of the service: sizes, cost and rates. One value each, read by
/// the handlers; `Profile.limits` holds them so tuning them is validated like any threshold.
/// Each limit's rejection is listed in the README's "Bad input" section.
public struct RequestLimits: Sendable, Equatable {
    /// Largest body of every route except config-upsert and job-create (whose limit follows
    /// `Profile.maxConfigBytes`), in bytes. A node's largest legitimate body (a registration or
    /// a chunk result) is under 1 KiB.
    public var maxBodyBytes: Int = 16 * 1024
    /// Largest path plus query (names and values), in bytes of UTF-8.
    public var maxTargetBytes: Int = 2 * 1024
    /// Largest sum of header names and values, in bytes of UTF-8.
    public var maxHeaderBytes: Int = 8 * 1024

    /// Most casts one fight of a config may need (`SimConfig.castsPerFightBound`): the cost of
    /// one iteration. A one-hour fight at one cast per 100 ms is 36,000; 32 instant abilities at
    /// the minimum period with high haste are millions (seconds of CPU per iteration).
    public var maxCastsPerFight: Int = 100_000
    /// Most casts one job may need: iterations × casts per fight. The largest job of an
    /// ordinary 300 s fight (10^7 iterations of ~500 casts) is 5·10^9.
    public var maxCastsPerJob: Int = 100_000_000_000

    /// Jobs a user may have unfinished (pending or running) at once.
    public var maxUnfinishedJobsPerUser: Int = 200
    /// Jobs a user may create in any hour.
    public var maxJobsPerUserPerHour: Int = 1_000
    /// node-register of keys not yet registered, all callers together: what bounds the growth
    /// of the nodes table (unclaimed nodes are deleted after `unclaimedNodeTTL`). A burst that
    /// lets a 10,000-node fleet boot at once.
    public var nodeRegistrations = RateLimiter.Rate(burst: 20_000, perHour: 360_000)
    /// Failed node-claim attempts per user (a wrong or unknown code). A code is 30 bits: at 30
    /// guesses an hour, finding one of 10,000 unclaimed nodes takes about 400 years.
    public var failedClaimsPerUser = RateLimiter.Rate(burst: 10, perHour: 30)

    public init() {}
}
