/// An actor's own reading of time: virtual time plus an offset and a drift.
///
/// Clock skew is a fault like any other: a node whose clock runs fast signs requests from the
/// future, and a sentinel whose clock drifts sees heartbeats as older than they are. Drift is
/// in parts per billion, integer, so local time stays exact.
public struct LocalClock: Sendable, Equatable {
    /// Offset at `anchor`, in nanoseconds.
    public private(set) var offset: Int64 = 0
    /// Rate error in parts per billion (1_000 ppb = 1 ms per 1,000 s).
    public private(set) var driftPPB: Int64 = 0
    /// The virtual instant from which the current drift accrues.
    public private(set) var anchor: Int64 = 0

    public init() {}

    /// Local time at virtual time `t`.
    @inlinable public func local(at t: SimInstant) -> SimInstant {
        if driftPPB == 0 { return SimInstant(nanoseconds: t.nanoseconds &+ offset) }
        let elapsed = Int128(t.nanoseconds - anchor)
        let drift = Int64(elapsed * Int128(driftPPB) / 1_000_000_000)
        return SimInstant(nanoseconds: t.nanoseconds &+ offset &+ drift)
    }

    /// The virtual duration that elapses while this clock advances by `localDuration`.
    @inlinable public func virtualDuration(for localDuration: SimDuration) -> SimDuration {
        if driftPPB == 0 { return localDuration }
        let v = Int128(localDuration.nanoseconds) * 1_000_000_000 / Int128(1_000_000_000 + driftPPB)
        return SimDuration(nanoseconds: Int64(v))
    }

    /// Steps the clock by `delta` at virtual time `now` (an NTP step, or a misconfigured host).
    public mutating func step(by delta: SimDuration, at now: SimInstant) {
        rebase(at: now)
        offset &+= delta.nanoseconds
    }

    /// Changes the drift from `now` on, keeping local time continuous.
    public mutating func setDrift(ppb: Int64, at now: SimInstant) {
        precondition(ppb > -1_000_000_000, "a clock cannot run backwards")
        rebase(at: now)
        driftPPB = ppb
    }

    /// Folds the drift accrued so far into the offset.
    mutating func rebase(at now: SimInstant) {
        offset = local(at: now).nanoseconds &- now.nanoseconds
        anchor = now.nanoseconds
    }
}
