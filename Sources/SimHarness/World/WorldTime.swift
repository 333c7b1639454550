import Engine
import JobSystem

/// The bridge between virtual time and the system's wall-clock timestamps: a run starts at a
/// fixed instant (2026-01-01T00:00:00Z), so timestamps in traces read as dates and are the
/// same on every machine.
public enum WorldTime {
    public static let epoch = Timestamp(unixSeconds: 1_767_225_600)

    /// The timestamp an actor reads at local instant `t` (nanoseconds truncated to µs).
    @inlinable public static func timestamp(_ t: SimInstant) -> Timestamp {
        Timestamp(micros: epoch.micros + t.nanoseconds / 1_000)
    }

    @inlinable public static func duration(_ i: Interval) -> SimDuration {
        .microseconds(i.micros)
    }

    @inlinable public static func instant(_ ts: Timestamp) -> SimInstant {
        SimInstant(nanoseconds: (ts.micros - epoch.micros) * 1_000)
    }
}
