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

    public init() {}
}
