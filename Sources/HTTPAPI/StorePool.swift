import NIOPosix
import PostgresStore
import Synchronization
import JobSystem

/// A fixed set of PostgreSQL sessions for the API server, each used by one request at a time
/// for that request's whole transaction.
///
/// libpq calls block, so requests run on a thread pool of the pool's own with as many threads
/// as sessions: a request that has a thread always finds an idle session, and the event loops
/// serving HTTP never block. Sessions connect lazily (a database that is down at start makes
/// requests fail with 503, not the process) and reconnect on their next use after a loss.
public final class StorePool: Sendable {
    public let conninfo: String
    public let size: Int
    private let threads: NIOThreadPool
    private let idle: Mutex<[Session]>

    /// One session. Only ever used by the thread that took it out of `idle` (under its lock), so
    /// its non-Sendable connection is never shared.
    final class Session: @unchecked Sendable {
        var store: PostgresStore?
    }

    /// `size` sessions (at least 1) to `conninfo`. Starts the threads; `shutdown()` stops them.
    public init(conninfo: String, size: Int) {
        self.conninfo = conninfo
        self.size = max(1, size)
        threads = NIOThreadPool(numberOfThreads: self.size)
        threads.start()
        idle = Mutex((0..<self.size).map { _ in Session() })
    }

    /// Runs `body` on a pool thread with a connected store; `unavailable` answers instead when
    /// no session can be opened (or the pool is shut down).
    public func withStore<T: Sendable>(
        _ body: @escaping @Sendable (inout PostgresStore) -> T,
        unavailable: @escaping @Sendable (StoreError) -> T
    ) async -> T {
        do {
            return try await threads.runIfActive { [self] in
                // Never empty (as many sessions as threads); a fresh session keeps that a
                // non-crashing truth if it ever were.
                let session = self.idle.withLock { $0.popLast() } ?? Session()
                defer { self.idle.withLock { $0.append(session) } }
                if session.store == nil {
                    do throws(StoreError) { session.store = try PostgresStore(conninfo: self.conninfo) } catch { return unavailable(error) }
                }
                return body(&session.store!)
            }
        } catch {
            return unavailable(.connectionLost)
        }
    }

    /// Stops the threads once the requests in progress are done; the sessions close with them.
    public func shutdown() async {
        try? await threads.shutdownGracefully()
        idle.withLock { $0.removeAll() }
    }
}
