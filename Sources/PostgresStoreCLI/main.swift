import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import PostgresStore
import JobSystem

/// `pgstore`: the PostgreSQL store's tools. `migrate` applies the SQL migrations; `bench`
/// measures guarded assignments and completions per second.
struct PGStoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pgstore",
        abstract: "Apply the PostgreSQL store's migrations, or benchmark it.",
        subcommands: [MigrateCommand.self, BenchCommand.self])
}

/// The connection string: `--url`, else `DATABASE_URL`, else libpq's `PG*` variables.
struct ConnectionOptions: ParsableArguments {
    @Option(name: .long, help: "postgresql:// URL or key=value string (default: $DATABASE_URL, else the PG* variables)")
    var url: String?

    var conninfo: String {
        url ?? getenvString("DATABASE_URL") ?? ""
    }
}

func getenvString(_ name: String) -> String? {
    guard let value = getenv(name) else { return nil }
    let s = String(cString: value)
    return s.isEmpty ? nil : s
}

struct MigrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate", abstract: "Apply every migration not yet recorded in schema_migrations (idempotent).")

    @OptionGroup var connection: ConnectionOptions

    func run() throws {
        do {
            let db = try PGConnection(connection.conninfo)
            let applied = try Migrations.apply(on: db)
            print(applied.isEmpty ? "schema up to date" : "applied \(applied.joined(separator: ", "))")
        } catch {
            throw ValidationErrorMessage("migrate failed: \(error)")
        }
    }
}

struct ValidationErrorMessage: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

PGStoreCommand.main()
