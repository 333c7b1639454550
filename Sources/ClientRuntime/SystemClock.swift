#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import JobSystem

/// The host's wall clock, the `Clock` production injects: `CLOCK_REALTIME` in microseconds,
/// the unit of `Timestamp` (and of PostgreSQL's `timestamptz`). Signed request timestamps are
/// its whole seconds, so a node whose clock is more than the signature window (300 s) off is
/// refused with `bad_node_authentication`: keep hosts on NTP.
public struct SystemClock: JobSystem.Clock {
    public init() {}

    public func now() -> Timestamp {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Timestamp(micros: Int64(spec.tv_sec) * 1_000_000 + Int64(spec.tv_nsec) / 1_000)
    }
}

/// Processor cores the process may use (`sysconf(_SC_NPROCESSORS_ONLN)`, at least 1).
public func onlineCores() -> Int {
    Swift.max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
}
