import Foundation
import PostgresStore
import Testing

@testable import JobSystem

/// The stores the contract suite runs against.
enum StoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case embedded, postgres
    var testDescription: String { rawValue }
}

/// Why a PostgreSQL case cannot run: it fails, it never skips.
struct MissingDatabase: Error, CustomStringConvertible {
    var description: String {
        "SIMHARNESS_TEST_DATABASE_URL is not set: the PostgreSQL half of the store contract needs a database. "
            + "Run the tests with scripts/test, which starts a throw-away PostgreSQL cluster and exports it."
    }
}

/// The test database's URL, or the failure that says how to get one.
func testDatabaseURL() throws -> String {
    guard let raw = getenv("SIMHARNESS_TEST_DATABASE_URL"), case let url = String(cString: raw), !url.isEmpty else {
        throw MissingDatabase()
    }
    return url
}

/// One store under test, and what the suite needs beyond a client's view: the notifications
/// committed so far, and moving the store's clock.
///
/// - Embedded: notifications are taken from the store; the clock is its `now`.
/// - PostgreSQL: a LISTENing session of its own reads the notifications; "everything committed
///   so far" is made exact with a fence (a NOTIFY sent from another session after the
///   operations, delivered after theirs since notifications arrive in commit order). The
///   database's `now()` cannot move, so the rows move instead: every timestamp in the tables
///   goes back by the interval, triggers off (`session_replication_role = replica`), which is
///   the same thing to every comparison the store makes.
struct StoreHarness {
    var store: any JobStore
    let kind: StoreKind
    let listener: PostgresListener?
    let admin: PGConnection?
    let url: String?
    var fences = 0

    static let t0 = Timestamp(unixSeconds: 1_700_000_000)

    /// A fresh, empty store (PostgreSQL: migrated, tables emptied, the trigger as asked).
    static func make(_ kind: StoreKind, trigger: Bool = true) throws -> StoreHarness {
        switch kind {
        case .embedded:
            return StoreHarness(
                store: EmbeddedStore(seed: 7, triggerInstalled: trigger, now: t0), kind: kind, listener: nil, admin: nil, url: nil)
        case .postgres:
            let url = try testDatabaseURL()
            let admin = try PGConnection(url)
            try Migrations.apply(on: admin)
            try PostgresAdmin.truncateAll(on: admin)
            try PostgresAdmin.setPendingTrigger(installed: trigger, on: admin)
            let listener = try PostgresListener(conninfo: url)
            return StoreHarness(
                store: try PostgresStore(conninfo: url), kind: kind, listener: listener, admin: admin, url: url)
        }
    }

    /// A second client of the same database (PostgreSQL: its own connection; embedded: nil,
    /// there is one store value).
    func anotherClient() throws -> PostgresStore? {
        guard let url else { return nil }
        return try PostgresStore(conninfo: url)
    }

    /// Moves the store's clock forward by `d`.
    mutating func advance(_ d: Interval) throws {
        switch kind {
        case .embedded:
            var e = store as! EmbeddedStore
            e.now = e.now + d
            store = e
        case .postgres:
            let shift = "\(d.micros)::bigint * interval '1 microsecond'"
            try admin!.transaction(.readCommitted) { (db: PGConnection) throws(StoreError) in
                try db.execute("SET LOCAL session_replication_role = replica")
                for (table, columns) in [
                    ("jobs", ["created_at", "completed_at"]),
                    ("jobs_chunks", ["claimed_at", "completed_at", "created_at", "claim_renewed_at"]),
                    ("jobs_configs", ["created_at", "last_used_at"]),
                    ("rotations", ["created_at"]), ("nodes", ["last_seen_at", "created_at"]),
                    ("nodes_permissions", ["created_at"]), ("request_signatures", ["expires_at"]),
                ] {
                    try db.execute("UPDATE \(table) SET " + columns.map { "\($0) = \($0) - \(shift)" }.joined(separator: ", "))
                }
            }
        }
    }

    /// Every notification committed since the last call, in commit order.
    mutating func notifications() throws -> [StoreNotification] {
        switch kind {
        case .embedded:
            var e = store as! EmbeddedStore
            defer { store = e }
            return e.takeNotifications()
        case .postgres:
            fences += 1
            let fence = "fence-\(fences)"
            try admin!.execute("SELECT pg_notify('pending_chunk', $1)", [fence])
            var got: [StoreNotification] = []
            while !got.contains(where: { $0.payload == fence }) {
                let more = try listener!.wait(timeout: .seconds(10))
                if more.isEmpty { throw StoreError.database(sqlState: "", message: "fence \(fence) not delivered in 10 s") }
                got += more
            }
            return Array(got.prefix { $0.payload != fence })
        }
    }

    /// The embedded store's own consistency report (PostgreSQL: nothing to recompute).
    var problems: [String] { (store as? EmbeddedStore)?.checkConsistency() ?? [] }

    /// The running count of a node: as the scheduler reads it when its snapshot lists the node
    /// (it has a free slot); otherwise (full, or never seen) the chunks running on it. Nil for a
    /// node that is neither listed nor running anything and was never seen.
    func backlog(_ node: NodeID) throws -> Int? {
        let snapshot = try store.assignmentSnapshot(limit: 0, onlineWindow: .days(3650))
        if let listed = snapshot.nodes.first(where: { $0.id == node }) { return listed.running }
        let running = try store.runningChunks().filter { $0.nodeID == node }.count
        let seen = try store.node(node)?.lastSeenAt != nil
        return running > 0 || seen ? running : nil
    }
}

/// Rows and values shared by the contract tests.
enum F {
    static func user(_ n: UInt64) -> UserID { UserID(Identifier(high: n, low: n)) }

    static func key(_ n: UInt8) -> PublicKey { PublicKey(bytes: [UInt8](repeating: n, count: 32))! }

    static func config(_ n: Int) -> NewConfig {
        let hex = String(String(format: "%064x", n).suffix(64))
        return NewConfig(hash: ConfigHash(hex: hex)!, canonicalJSON: "{\"n\":\(n)}", rotationID: nil)
    }

    static func newJob(
        user: UserID = user(1), config: NewConfig = config(1), iterations: Int, chunk: Int = 1_000, access: AccessType = .public
    ) -> NewJob {
        NewJob(
            userID: user, configHash: config.hash, totalIterations: iterations, chunkIterations: chunk, accessType: access,
            discordServerID: nil)
    }

    static func result(iterations: Int, base: UInt64 = 1_000_000, fight: Int = 300) -> ChunkResult {
        ChunkResult(tally: DamageTally(fightLengthSeconds: fight, iterationDamages: (0..<UInt64(iterations)).map { base + $0 }))
    }

    static func registration(_ n: UInt8, code: String? = nil, capacity: Int = 4) -> NodeRegistration {
        NodeRegistration(
            publicKey: key(n), claimCode: code ?? "C\(n)", name: "node\(n)", totalCores: capacity, maxParallel: capacity,
            platform: "linux", version: "1.0")
    }

    /// Registers, claims (by `owner`) and heartbeats a node; returns its id.
    static func onlineNode(_ store: inout any JobStore, _ n: UInt8, owner: UserID = user(1), capacity: Int = 4) throws -> NodeID {
        let registered = try store.registerNode(registration(n, capacity: capacity))
        _ = try store.claimNode(claimCode: registered.node.claimCode, by: owner)
        _ = try store.heartbeat(registered.node.id)
        return registered.node.id
    }

    static func pending(_ ids: [ChunkID]) -> [StoreNotification] {
        ids.map { StoreNotification(channel: "pending_chunk", payload: $0.uuidString) }
    }
}
