import CLibPQ
import JobSystem

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A LISTENing session: committed `NOTIFY`s on one channel, read by waiting on the
/// connection's socket (`poll` on `PQsocket`, then `PQconsumeInput` and `PQnotifies`); never
/// a busy loop. PostgreSQL keeps no backlog for a session that is gone: what is notified while
/// the listener is disconnected is lost, and `reconnect()` LISTENs again from then on (the
/// sentinel recovers what it missed with its fallback pass).
public final class PostgresListener: StoreNotifications {
    public let connection: PGConnection
    public let channel: String

    /// Connects and LISTENs. `channel` must be a plain lower-case identifier.
    public init(conninfo: String, channel: String = "pending_chunk") throws(StoreError) {
        precondition(!channel.isEmpty && channel.allSatisfy { $0 == "_" || ("a"..."z").contains($0) || ("0"..."9").contains($0) },
                     "a channel is a plain identifier")
        self.channel = channel
        connection = try PGConnection(conninfo)
        connection.onConnect = ["LISTEN \(channel)"]
        try connection.execute("LISTEN \(channel)")
    }

    /// Re-establishes a dropped session (with the connection's backoff) and LISTENs again.
    public func reconnect() throws(StoreError) {
        try connection.ensureConnected()
    }

    /// Notifications that have arrived, without waiting.
    public func takeNotifications() throws(StoreError) -> [StoreNotification] {
        guard let raw = connection.pointer, connection.isConnected else { throw .connectionLost }
        guard PQconsumeInput(raw) == 1, connection.isConnected else { throw .connectionLost }
        return drain(raw)
    }

    /// Waits until at least one notification arrived or `timeout` passed; returns what arrived
    /// (empty on timeout).
    public func wait(timeout: Interval) throws(StoreError) -> [StoreNotification] {
        guard let raw = connection.pointer, connection.isConnected else { throw .connectionLost }
        var got = drain(raw)
        var remainingMillis = max(0, timeout.micros / 1_000)
        while got.isEmpty {
            var fds = [pollfd(fd: PQsocket(raw), events: Int16(POLLIN), revents: 0)]
            let started = Self.monotonicMillis()
            let ready = poll(&fds, 1, Int32(clamping: remainingMillis))
            if ready < 0 && errno != EINTR { throw .connectionLost }
            if ready > 0 {
                guard PQconsumeInput(raw) == 1, connection.isConnected else { throw .connectionLost }
                got = drain(raw)
            }
            remainingMillis -= Self.monotonicMillis() - started
            if remainingMillis <= 0 { break }
        }
        return got
    }

    /// Waits until `count` notifications arrived in all or `timeout` passed.
    public func wait(for count: Int, timeout: Interval) throws(StoreError) -> [StoreNotification] {
        var got: [StoreNotification] = []
        let deadline = Self.monotonicMillis() + timeout.micros / 1_000
        while got.count < count {
            let left = deadline - Self.monotonicMillis()
            if left <= 0 { break }
            got += try wait(timeout: .milliseconds(left))
        }
        return got
    }

    private func drain(_ raw: OpaquePointer) -> [StoreNotification] {
        var out: [StoreNotification] = []
        while let n = PQnotifies(raw) {
            out.append(StoreNotification(channel: String(cString: n.pointee.relname), payload: String(cString: n.pointee.extra)))
            PQfreemem(n)
        }
        return out
    }

    static func monotonicMillis() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1_000 + Int64(ts.tv_nsec) / 1_000_000
    }
}
