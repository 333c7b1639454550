/// Virtual time, in integer nanoseconds since the start of a run.
///
/// Never floating point: a `Double` of seconds loses nanoseconds after a few months of
/// virtual time and makes equality of instants depend on the order of additions, which would
/// let two "identical" runs diverge. Integers keep every run byte-identical.
public struct SimInstant: Comparable, Hashable, Sendable, CustomStringConvertible {
    public var nanoseconds: Int64

    @inlinable public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

    public static let zero = SimInstant(nanoseconds: 0)
    /// Later than any instant a run can reach; used as "never".
    public static let distantFuture = SimInstant(nanoseconds: .max)

    @inlinable public static func < (a: SimInstant, b: SimInstant) -> Bool { a.nanoseconds < b.nanoseconds }
    @inlinable public static func + (a: SimInstant, d: SimDuration) -> SimInstant {
        SimInstant(nanoseconds: a.nanoseconds &+ d.nanoseconds)
    }
    @inlinable public static func - (a: SimInstant, d: SimDuration) -> SimInstant {
        SimInstant(nanoseconds: a.nanoseconds &- d.nanoseconds)
    }
    @inlinable public static func - (a: SimInstant, b: SimInstant) -> SimDuration {
        SimDuration(nanoseconds: a.nanoseconds &- b.nanoseconds)
    }

    /// Seconds as a `Double`, for reports only; never feed it back into the simulation.
    public var seconds: Double { Double(nanoseconds) / 1e9 }
    public var description: String { SimDuration(nanoseconds: nanoseconds).description }
}

/// A span of virtual time in integer nanoseconds.
public struct SimDuration: Comparable, Hashable, Sendable, CustomStringConvertible {
    public var nanoseconds: Int64

    @inlinable public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

    public static let zero = SimDuration(nanoseconds: 0)

    @inlinable public static func nanoseconds(_ n: Int64) -> SimDuration { SimDuration(nanoseconds: n) }
    @inlinable public static func microseconds(_ n: Int64) -> SimDuration { SimDuration(nanoseconds: n * 1_000) }
    @inlinable public static func milliseconds(_ n: Int64) -> SimDuration { SimDuration(nanoseconds: n * 1_000_000) }
    @inlinable public static func seconds(_ n: Int64) -> SimDuration { SimDuration(nanoseconds: n * 1_000_000_000) }
    @inlinable public static func minutes(_ n: Int64) -> SimDuration { .seconds(n * 60) }
    @inlinable public static func hours(_ n: Int64) -> SimDuration { .seconds(n * 3_600) }
    /// Rounds a (drawn) number of seconds to the nearest nanosecond. The one sanctioned bridge
    /// from a floating-point draw into integer time.
    @inlinable public static func seconds(_ s: Double) -> SimDuration {
        SimDuration(nanoseconds: Int64((s * 1e9).rounded()))
    }

    @inlinable public static func < (a: SimDuration, b: SimDuration) -> Bool { a.nanoseconds < b.nanoseconds }
    @inlinable public static func + (a: SimDuration, b: SimDuration) -> SimDuration {
        SimDuration(nanoseconds: a.nanoseconds &+ b.nanoseconds)
    }
    @inlinable public static func - (a: SimDuration, b: SimDuration) -> SimDuration {
        SimDuration(nanoseconds: a.nanoseconds &- b.nanoseconds)
    }
    @inlinable public static func * (a: SimDuration, k: Int64) -> SimDuration {
        SimDuration(nanoseconds: a.nanoseconds &* k)
    }

    public var seconds: Double { Double(nanoseconds) / 1e9 }

    /// `12.345678901s`: exact, so traces that print durations stay canonical.
    public var description: String {
        let sign = nanoseconds < 0 ? "-" : ""
        let m = nanoseconds.magnitude
        let whole = m / 1_000_000_000, frac = m % 1_000_000_000
        if frac == 0 { return "\(sign)\(whole)s" }
        var f = String(frac)
        f = String(repeating: "0", count: 9 - f.count) + f
        while f.hasSuffix("0") { f.removeLast() }
        return "\(sign)\(whole).\(f)s"
    }
}
