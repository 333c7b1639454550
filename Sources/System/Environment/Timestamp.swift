/// Wall-clock time as the system sees it: integer microseconds since the Unix epoch, the
/// resolution of PostgreSQL's `timestamptz`, so the embedded store and PostgreSQL agree to the
/// microsecond. In simulation it comes from the actor's local clock; in production from the
/// host clock, through `Clock`.
public struct Timestamp: Comparable, Hashable, Sendable, CustomStringConvertible {
    public var micros: Int64
    @inlinable public init(micros: Int64) { self.micros = micros }
    public init(unixSeconds: Int64) { micros = unixSeconds * 1_000_000 }

    /// Whole Unix seconds (floor), as signed request headers carry them.
    public var unixSeconds: Int64 { micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000 }

    @inlinable public static func < (a: Timestamp, b: Timestamp) -> Bool { a.micros < b.micros }
    @inlinable public static func + (a: Timestamp, d: Interval) -> Timestamp { Timestamp(micros: a.micros + d.micros) }
    @inlinable public static func - (a: Timestamp, d: Interval) -> Timestamp { Timestamp(micros: a.micros - d.micros) }
    @inlinable public static func - (a: Timestamp, b: Timestamp) -> Interval { Interval(micros: a.micros - b.micros) }

    /// ISO 8601 in UTC with microseconds, as PostgreSQL prints timestamptz (for traces, JSON).
    public var description: String {
        let (days, rem) = micros.quotientAndRemainderFloor(86_400_000_000)
        let (y, m, d) = civilFromDays(days)
        let secs = rem / 1_000_000, us = rem % 1_000_000
        func p(_ v: Int64, _ w: Int) -> String { let s = String(v); return String(repeating: "0", count: max(0, w - s.count)) + s }
        return "\(p(y, 4))-\(p(m, 2))-\(p(d, 2))T\(p(secs / 3600, 2)):\(p(secs / 60 % 60, 2)):\(p(secs % 60, 2)).\(p(us, 6))Z"
    }
}

/// A span of wall-clock time in microseconds.
public struct Interval: Comparable, Hashable, Sendable, CustomStringConvertible {
    public var micros: Int64
    @inlinable public init(micros: Int64) { self.micros = micros }
    @inlinable public static func milliseconds(_ n: Int64) -> Interval { Interval(micros: n * 1_000) }
    @inlinable public static func seconds(_ n: Int64) -> Interval { Interval(micros: n * 1_000_000) }
    @inlinable public static func minutes(_ n: Int64) -> Interval { .seconds(n * 60) }
    @inlinable public static func hours(_ n: Int64) -> Interval { .seconds(n * 3_600) }
    @inlinable public static func days(_ n: Int64) -> Interval { .seconds(n * 86_400) }
    @inlinable public static func < (a: Interval, b: Interval) -> Bool { a.micros < b.micros }
    @inlinable public static func + (a: Interval, b: Interval) -> Interval { Interval(micros: a.micros + b.micros) }
    @inlinable public static func * (a: Interval, k: Int64) -> Interval { Interval(micros: a.micros * k) }
    public var seconds: Double { Double(micros) / 1e6 }
    public var description: String { "\(seconds)s" }
}

/// The wall clock, injected: the simulator hands each actor its skewed local time, production
/// reads the host clock.
public protocol Clock: Sendable {
    func now() -> Timestamp
}

extension Int64 {
    fileprivate func quotientAndRemainderFloor(_ d: Int64) -> (Int64, Int64) {
        var q = self / d, r = self % d
        if r < 0 { q -= 1; r += d }
        return (q, r)
    }
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
private func civilFromDays(_ z0: Int64) -> (Int64, Int64, Int64) {
    let z = z0 + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let doe = z - era * 146_097
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365
    let y = yoe + era * 400
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let d = doy - (153 * mp + 2) / 5 + 1
    let m = mp < 10 ? mp + 3 : mp - 9
    return (m <= 2 ? y + 1 : y, m, d)
}
