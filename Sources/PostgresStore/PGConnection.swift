import CLibPQ
import JobSystem

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One libpq connection: parameterised statements only (`PQexecParams`, text parameters),
/// results copied into `PGRows` and freed at once, SQLSTATEs mapped to `StoreError`,
/// transactions at a stated isolation level, reconnection with backoff.
///
/// Not `Sendable` and not shared: a connection belongs to one client (a store, a listener), as a
/// libpq connection must. The pointer is freed in `deinit`.
public final class PGConnection {
    /// The connection string: a URL (`postgresql://user@host:port/db`) or `key=value` pairs;
    /// empty means libpq's defaults and the `PG*` environment variables.
    public let conninfo: String
    /// Reconnection: how many attempts, and the first pause (doubled each time, capped at 2 s).
    public var reconnectAttempts = 6
    public var reconnectBackoffMicros: UInt32 = 50_000
    /// Transactions that fail with a serialization failure or a deadlock are retried this many
    /// times before `.conflict` is thrown.
    public var conflictRetries = 5
    /// Run after every (re)connection, e.g. `LISTEN` for a listener, or a session setting
    /// (`SET statement_timeout …`). Set it, then call `reconnectNow()` or let the next
    /// reconnection apply it.
    public var onConnect: [String] = []
    /// Whether a request transaction (`requestTransaction`) is open: store operations then nest
    /// inside it (see `transaction`) and a lost connection is never silently reopened.
    public private(set) var inRequestTransaction = false
    /// A statement of the open request transaction failed with a serialization failure or a
    /// deadlock, whatever its caller made of the error: the whole request must be rerun.
    private var requestConflicted = false
    /// The open request transaction's isolation.
    private var requestIsolation: Isolation = .serializable
    private var savepoints = 0

    private var raw: OpaquePointer?

    /// Connects, retrying with backoff; throws `.connectionLost` if the server cannot be reached.
    public init(_ conninfo: String) throws(StoreError) {
        self.conninfo = conninfo
        try ensureConnected()
    }

    deinit {
        if let raw { PQfinish(raw) }
    }

    /// Whether the connection is up as far as libpq knows.
    public var isConnected: Bool { raw.map { PQstatus($0) == CONNECTION_OK } ?? false }

    /// The server process id of this session (`pg_backend_pid()`).
    public var backendPID: Int32 { raw.map { PQbackendPID($0) } ?? 0 }

    var pointer: OpaquePointer? { raw }

    /// (Re)connects if the connection is down: attempts with exponential backoff, then
    /// `.connectionLost`.
    public func ensureConnected() throws(StoreError) {
        if isConnected { return }
        // Reconnecting inside a transaction would run its remaining statements in autocommit on
        // a new session, after the first ones were rolled back with the old one.
        if inRequestTransaction { throw .connectionLost }
        var pause = reconnectBackoffMicros
        for attempt in 0..<max(1, reconnectAttempts) {
            if attempt > 0 {
                usleep(pause)
                pause = min(pause * 2, 2_000_000)
            }
            if let raw {
                PQreset(raw)
            } else {
                raw = PQconnectdb(conninfo)
            }
            if isConnected {
                // Quiet: notices (e.g. "relation already exists") are not errors.
                _ = try? run("SET client_min_messages TO warning", [])
                for statement in onConnect { _ = try? run(statement, []) }
                if isConnected { return }
            }
        }
        throw .connectionLost
    }

    /// Runs one parameterised statement outside any explicit transaction (autocommit: one
    /// statement, one snapshot, atomic on its own).
    @discardableResult
    public func execute(_ sql: String, _ params: [String?] = []) throws(StoreError) -> PGRows {
        try ensureConnected()
        return try run(sql, params)
    }

    /// Runs a script of several statements without parameters (migrations only), on the current
    /// connection (inside the migrator's transaction).
    func runScript(_ sql: String) throws(StoreError) {
        guard let raw, let result = PQexec(raw, sql) else { throw .connectionLost }
        defer { PQclear(result) }
        try check(result)
    }

    public enum Isolation: String, Sendable {
        case readCommitted = "READ COMMITTED"
        case repeatableRead = "REPEATABLE READ"
        case serializable = "SERIALIZABLE"

        /// Orders the levels: a stronger one gives every guarantee of a weaker one.
        var strength: Int {
            switch self {
            case .readCommitted: return 0
            case .repeatableRead: return 1
            case .serializable: return 2
            }
        }
    }

    /// Runs `body` in one transaction at `isolation` and commits; on any error rolls back and
    /// rethrows. A serialization failure or deadlock (40001, 40P01) reruns the whole body, up
    /// to `conflictRetries` times, since nothing of it committed.
    ///
    /// Inside a request transaction (`requestTransaction`) the body runs in a savepoint of it
    /// instead: an error rolls back to the savepoint, so the operation stays all-or-nothing and
    /// the request can go on (a handler that turns a store error into a rejection); the
    /// request's isolation applies, which must be at least as strong as `isolation` (an
    /// operation asking for more than its request runs at fails with SQLSTATE XX000 rather than
    /// silently running weaker); a conflict is not retried here, since only the whole request
    /// can be rerun.
    public func transaction<T>(
        _ isolation: Isolation, readOnly: Bool = false, _ body: (PGConnection) throws(StoreError) -> T
    ) throws(StoreError) -> T {
        if inRequestTransaction {
            guard isolation.strength <= requestIsolation.strength else {
                throw .database(sqlState: "XX000", message: "an operation needs \(isolation.rawValue) inside a \(requestIsolation.rawValue) request")
            }
            return try savepoint(body)
        }
        var tries = 0
        while true {
            try ensureConnected()
            do {
                try run("BEGIN ISOLATION LEVEL \(isolation.rawValue)\(readOnly ? " READ ONLY" : "")", [])
                let value = try body(self)
                try run("COMMIT", [])
                return value
            } catch {
                rollbackIfOpen()
                if case .conflict = error, tries < conflictRetries {
                    tries += 1
                    usleep(UInt32(1_000 << min(tries, 6)))
                    continue
                }
                throw error
            }
        }
    }

    private func savepoint<T>(_ body: (PGConnection) throws(StoreError) -> T) throws(StoreError) -> T {
        savepoints += 1
        let name = "op\(savepoints)"
        defer { savepoints -= 1 }
        try run("SAVEPOINT \(name)", [])
        do {
            let value = try body(self)
            try run("RELEASE SAVEPOINT \(name)", [])
            return value
        } catch {
            if isConnected, !requestConflicted { _ = try? run("ROLLBACK TO SAVEPOINT \(name)", []) }
            throw error
        }
    }

    /// Runs `body` (every store operation of one API request) as ONE transaction at
    /// `isolation`, the statements of nested `transaction`s included (as savepoints). `body`
    /// returns its value and whether to commit; a request that did not fail commits even if it
    /// was rejected, since a rejection may have written what must stay (a spent signature).
    ///
    /// Throws, after rolling back: `.conflict` if any statement hit a serialization failure or
    /// deadlock (even one the body caught), or the COMMIT did: the caller reruns the whole
    /// request; `.connectionLost` if the session dropped (nothing committed, unless the COMMIT
    /// itself was lost: then `.database` with SQLSTATE 08007, which must not be rerun blindly);
    /// `.database` with SQLSTATE 25P02 if a statement failed and the body still asked to commit.
    /// Not reentrant.
    public func requestTransaction<T>(
        _ isolation: Isolation, _ body: (PGConnection) -> (value: T, commit: Bool)
    ) throws(StoreError) -> T {
        precondition(!inRequestTransaction, "request transactions do not nest")
        try ensureConnected()
        try run("BEGIN ISOLATION LEVEL \(isolation.rawValue)", [])
        inRequestTransaction = true
        requestIsolation = isolation
        requestConflicted = false
        let (value, commit) = body(self)
        inRequestTransaction = false
        let conflicted = requestConflicted
        requestConflicted = false
        guard isConnected, let raw else { throw .connectionLost }
        let failedStatement = PQtransactionStatus(raw) == PQTRANS_INERROR
        if conflicted || failedStatement || !commit {
            rollbackIfOpen()
            if conflicted { throw .conflict("serialization failure or deadlock in the request's transaction") }
            if failedStatement && commit {
                throw .database(sqlState: "25P02", message: "a statement of the request failed and the request went on")
            }
            return value
        }
        do {
            try run("COMMIT", [])
        } catch {
            rollbackIfOpen()
            // The COMMIT was sent and its answer lost: it may have committed. Not a plain
            // `connectionLost`, which callers may rerun: SQLSTATE 08007,
            // transaction_resolution_unknown.
            if case .connectionLost = error {
                throw .database(sqlState: "08007", message: "connection lost during COMMIT: the outcome is unknown")
            }
            throw error
        }
        return value
    }

    /// ROLLBACK, only if a transaction is open: a COMMIT that fails (a serialization failure at
    /// commit, a deferred constraint) has already ended its transaction, and a ROLLBACK then
    /// only makes the server warn "there is no transaction in progress" into the logs.
    private func rollbackIfOpen() {
        guard isConnected, let raw else { return }
        switch PQtransactionStatus(raw) {
        case PQTRANS_INTRANS, PQTRANS_INERROR: _ = try? run("ROLLBACK", [])
        default: return
        }
    }

    /// One statement on the current connection (no reconnection: inside a transaction a lost
    /// connection must surface, not be papered over).
    @discardableResult
    func run(_ sql: String, _ params: [String?]) throws(StoreError) -> PGRows {
        guard let raw else { throw .connectionLost }
        // Copy each parameter into a C string that lives until the call returns.
        var cStrings: [UnsafeMutablePointer<CChar>?] = params.map { $0.map { strdup($0) } ?? nil }
        defer { for p in cStrings { free(p) } }
        let result: OpaquePointer? = cStrings.withUnsafeMutableBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: max(buffer.count, 1)) { values in
                PQexecParams(raw, sql, Int32(params.count), nil, params.isEmpty ? nil : values, nil, nil, 0)
            }
        }
        guard let result else { throw .connectionLost }
        defer { PQclear(result) }
        try check(result)
        return PGRows(result)
    }

    /// Maps a failed result to a `StoreError` by its SQLSTATE.
    private func check(_ result: OpaquePointer) throws(StoreError) {
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
            return
        default:
            let state = field(result, "C")
            let message = field(result, "M") ?? String(cString: PQerrorMessage(raw))
            let error = PGConnection.storeError(sqlState: state, message: message, constraint: field(result, "n"),
                                                connected: isConnected)
            if inRequestTransaction, case .conflict = error { requestConflicted = true }
            throw error
        }
    }

    private func field(_ result: OpaquePointer, _ code: Character) -> String? {
        PQresultErrorField(result, Int32(code.asciiValue!)).map { String(cString: $0) }
    }

    /// SQLSTATE → `StoreError`:
    /// - class 08 (connection exception), 57P01–57P03 (server shutting down or restarting), or
    ///   no SQLSTATE with the connection gone: `.connectionLost`;
    /// - 23505 unique violation: `.uniqueViolation(constraint)`;
    /// - 40001 serialization failure, 40P01 deadlock: `.conflict` (retried by `transaction`);
    /// - SH001 (the status-machine trigger): `.illegalTransition(message)`; SH002 / SH003 (the
    ///   legacy batch update naming an unknown chunk / node): `.chunkNotFound` / `.nodeNotFound`;
    /// - anything else: `.database(sqlState:message:)`. Foreign-key violations are mapped by the
    ///   operation that knows which row was missing.
    static func storeError(sqlState: String?, message: String, constraint: String?, connected: Bool) -> StoreError {
        guard let state = sqlState else {
            return connected ? .database(sqlState: "", message: message) : .connectionLost
        }
        switch state {
        case _ where state.hasPrefix("08"), "57P01", "57P02", "57P03": return .connectionLost
        case "23505": return .uniqueViolation(constraint ?? message)
        case "40001", "40P01": return .conflict(message)
        case "SH001": return .illegalTransition(message)
        case "SH002":
            if let id = ChunkID(uuidString: message) { return .chunkNotFound(id) }
            return .database(sqlState: state, message: message)
        case "SH003": return .nodeNotFound
        default: return .database(sqlState: state, message: message)
        }
    }
}
