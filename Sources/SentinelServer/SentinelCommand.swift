import ArgumentParser
import Foundation
import HTTPAPI
import Hummingbird
import HummingbirdWebSocket
import JobSystem
import Logging
import Metrics
import PostgresStore
import Prometheus
import SentinelRuntime
import ServiceLifecycle

/// `sentinel`: the production process. `sentinel serve` (the default) runs the HTTP API and/or
/// the scheduler (`--role`); `sentinel migrate` applies the schema; `sentinel user` manages
/// portal users and their API tokens; `sentinel guild` Discord guild membership. See the README's "Deploying".
@main
struct SentinelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sentinel",
        abstract: "The job system's production sentinel: HTTP API, node assignment channel and scheduler on PostgreSQL.",
        subcommands: [Serve.self, Migrate.self, UserCommand.self, GuildCommand.self],
        defaultSubcommand: Serve.self)
}

/// The database URL of the maintenance commands: `--database-url`, else `DATABASE_URL`.
struct DatabaseOption: ParsableArguments {
    @Option(help: "PostgreSQL URL. Env: DATABASE_URL.")
    var databaseURL: String?

    func resolved() throws -> String {
        if let databaseURL { return databaseURL }
        if let url = ProcessInfo.processInfo.environment["DATABASE_URL"], !url.isEmpty { return url }
        throw ValidationError("no database: set DATABASE_URL or pass --database-url (postgresql://user@host:port/db)")
    }

    func connect() throws -> PGConnection {
        let url = try resolved()
        do { return try PGConnection(url) } catch {
            throw ValidationError("cannot connect to the database: \(error)")
        }
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply the schema migrations not yet applied (safe to run from several processes at once).")

    @OptionGroup var database: DatabaseOption

    func run() async throws {
        let db = try database.connect()
        do {
            let applied = try Migrations.apply(on: db)
            print(applied.isEmpty ? "up to date" : "applied \(applied.joined(separator: ", "))")
        } catch {
            throw ValidationError("migration failed (nothing applied): \(error)")
        }
    }
}

struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user", abstract: "Portal users and their API tokens.",
        subcommands: [Add.self, Token.self, Revoke.self, List.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a user and print its first API token (shown once).")
        @OptionGroup var database: DatabaseOption
        @Argument(help: "A unique name.") var name: String
        @Option(help: "The user's Discord id (for discord-access jobs).") var discordID: String?
        @Option(help: "A note on the token.") var label: String = ""

        func run() async throws {
            guard (1...64).contains(name.utf8.count) else { throw ValidationError("a name is 1 to 64 bytes") }
            do {
                let issued = try UserTokens.addUser(name: name, discordID: discordID, label: label, on: try database.connect())
                print("user \(name) \(issued.userID)")
                print("token \(issued.token)")
            } catch let error as StoreError {
                if case .uniqueViolation = error { throw ValidationError("a user named \(name) exists (sentinel user token \(name) issues another token)") }
                throw ValidationError("\(error)")
            }
        }
    }

    struct Token: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Issue another API token for a user (shown once).")
        @OptionGroup var database: DatabaseOption
        @Argument var name: String
        @Option(help: "A note on the token.") var label: String = ""

        func run() async throws {
            guard let issued = try UserTokens.issueToken(userName: name, label: label, on: try database.connect()) else {
                throw ValidationError("no user named \(name)")
            }
            print("token \(issued.token)")
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke every token of a user.")
        @OptionGroup var database: DatabaseOption
        @Argument var name: String

        func run() async throws {
            print("revoked \(try UserTokens.revokeTokens(userName: name, on: try database.connect())) tokens")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Named users and their live tokens.")
        @OptionGroup var database: DatabaseOption

        func run() async throws {
            for u in try UserTokens.list(on: try database.connect()) {
                print("\(u.name)\t\(u.userID)\t\(u.liveTokens) tokens")
            }
        }
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the sentinel (the default command). Flags override the environment.")

    @OptionGroup var options: ServeOptions

    func run() async throws {
        let config: ServerConfiguration
        do {
            config = try ServerConfiguration(options, environment: ProcessInfo.processInfo.environment) { path in
                guard let data = FileManager.default.contents(atPath: path) else { throw RunnerError("no such file") }
                return [UInt8](data)
            }
        } catch {
            throw ValidationError(error.description)
        }
        let level = config.logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "sentinel")
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))

        // The schema must be there: a sentinel on an old schema would fail request by request.
        do {
            let db = try PGConnection(config.databaseURL)
            let recorded = Set(try db.execute(
                "SELECT version FROM schema_migrations WHERE to_regclass('schema_migrations') IS NOT NULL"
            ).all.map { try $0.string(0) })
            let missing = try Migrations.bundled().map(\.version).filter { !recorded.contains($0) }
            guard missing.isEmpty else {
                throw ValidationError("the database lacks migrations \(missing.joined(separator: ", ")): run `sentinel migrate` first")
            }
        } catch let error as StoreError {
            if case .database(let state, _) = error, state == "42P01" {
                throw ValidationError("the database has no schema: run `sentinel migrate` first")
            }
            throw ValidationError("cannot reach the database: \(error)")
        }

        let router = Router(context: BasicWebSocketRequestContext.self)
        router.add(middleware: MetricsMiddleware())
        var services: [any Service] = []
        var api: APIServer? = nil
        if config.role.servesAPI {
            var settings = APIServer.Settings()
            settings.poolSize = config.poolSize
            settings.isolation = config.requestIsolation
            let server = APIServer(
                handlers: RequestHandlers(profile: config.profile, hasher: SodiumSHA256(), scheme: Ed25519()),
                conninfo: config.databaseURL, settings: settings, logger: logger)
            server.addRoutes(to: router, reservedPaths: ["/status", "/metrics", "/ready"])
            services.append(server.feed)
            api = server
        }
        var scheduler: SchedulerRunner? = nil
        if config.role.schedules {
            let runner = SchedulerRunner(conninfo: config.databaseURL, profile: config.profile, logger: logger, recordPath: config.recordPath)
            services.append(runner)
            scheduler = runner
        }
        OperatorRoutes(
            role: config.role, profile: config.profile, scheduler: scheduler, api: api, registry: registry,
            startedAt: SchedulerRunner.monotonicMicros()
        ).add(to: router)

        let app = Application(
            router: router, server: .http1WebSocketUpgrade(webSocketRouter: router),
            configuration: .init(address: .hostname(config.host, port: config.port), serverName: "sentinel"),
            services: services,
            onServerRunning: { channel in
                logger.info("sentinel \(config.role.rawValue) on \(channel.localAddress.map { "\($0)" } ?? "?"), profile \(config.profile.name)")
            },
            logger: logger)
        try await app.runService()
        await api?.shutdown()
        logger.info("sentinel stopped")
    }
}
