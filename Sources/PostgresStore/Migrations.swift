import Foundation
import JobSystem

/// The schema as plain SQL files (`Migrations/NNNN_name.sql`, shipped as the target's
/// resources), applied in file-name order, each once, recorded in `schema_migrations`.
///
/// `apply` is idempotent and safe to run from several processes at once: it takes a
/// transaction-scoped advisory lock, reads which versions are recorded, and applies the rest
/// in the same transaction (all or nothing). The files themselves are written to be re-runnable
/// (`IF NOT EXISTS`, `CREATE OR REPLACE`), so a hand-applied file does no harm either.
public enum Migrations {
    public struct Migration: Sendable, Equatable {
        /// The file name without `.sql`, e.g. `0001_schema`.
        public var version: String
        public var sql: String
    }

    /// The migrations shipped with this module, in order.
    public static func bundled() throws(StoreError) -> [Migration] {
        guard let base = Bundle.module.resourceURL?.appendingPathComponent("Migrations"),
            let names = try? FileManager.default.contentsOfDirectory(atPath: base.path)
        else { throw .database(sqlState: "58P01", message: "no Migrations folder in the PostgresStore bundle") }
        var found: [Migration] = []
        for name in names.sorted() where name.hasSuffix(".sql") {
            let url = base.appendingPathComponent(name)
            guard let sql = try? String(contentsOf: url, encoding: .utf8) else {
                throw .database(sqlState: "58P01", message: "cannot read \(url.path)")
            }
            found.append(Migration(version: String(name.dropLast(4)), sql: sql))
        }
        guard !found.isEmpty else { throw .database(sqlState: "58P01", message: "no migration files in \(base.path)") }
        return found
    }

    /// Lock key for `pg_advisory_xact_lock`: "simharn" in ASCII.
    static let lockKey = "32485540945293934"

    /// Applies every migration not yet recorded; returns the versions it applied (empty when the
    /// database is up to date).
    @discardableResult
    public static func apply(_ migrations: [Migration], on db: PGConnection) throws(StoreError) -> [String] {
        try db.transaction(.readCommitted) { (db: PGConnection) throws(StoreError) -> [String] in
            try db.run("SELECT pg_advisory_xact_lock(\(lockKey))", [])
            try db.run("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())
                """, [])
            var done = Set<String>()
            for r in try db.run("SELECT version FROM schema_migrations", []).all { done.insert(try r.string(0)) }
            var applied: [String] = []
            for m in migrations where !done.contains(m.version) {
                try db.runScript(m.sql)
                try db.run("INSERT INTO schema_migrations (version) VALUES ($1)", [m.version])
                applied.append(m.version)
            }
            return applied
        }
    }

    /// The bundled migrations, applied.
    @discardableResult
    public static func apply(on db: PGConnection) throws(StoreError) -> [String] {
        try apply(try bundled(), on: db)
    }
}
