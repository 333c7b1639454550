import ArgumentParser
import JobSystem
import Logging
import PostgresStore

/// What `sentinel` runs as.
public enum Role: String, ExpressibleByArgument, CaseIterable, Sendable {
    /// The HTTP API and the node assignment channel.
    case api
    /// The scheduler (the System `Sentinel`) and the maintenance jobs.
    case scheduler
    /// Both.
    case all

    public var servesAPI: Bool { self != .scheduler }
    public var schedules: Bool { self != .api }
}

/// The flags of `sentinel serve`; each has an environment variable, and a flag overrides it.
public struct ServeOptions: ParsableArguments {
    public init() {}

    @Option(help: "PostgreSQL URL (postgresql://user@host:port/db) or key=value string. Env: DATABASE_URL.")
    public var databaseURL: String?

    @Option(help: "HTTP port (0: any free port). Env: PORT. Default 8080.")
    public var port: String?

    @Option(help: "Address to listen on. Env: HOST. Default 0.0.0.0.")
    public var host: String?

    @Option(help: "api, scheduler or all. Env: SENTINEL_ROLE. Default all.")
    public var role: String?

    @Option(help: "Base profile: fixed (the system as it should be), legacy (today's), fixed+<defect>, … Env: SENTINEL_PROFILE. Default fixed.")
    public var profile: String?

    @Option(help: "A thresholds file (KEY=VALUE lines, as `simharness validate-thresholds` checks). Env: SENTINEL_THRESHOLDS_FILE.")
    public var thresholds: String?

    @Option(help: "Database sessions serving API requests at once. Env: SENTINEL_DB_POOL_SIZE. Default 4.")
    public var poolSize: String?

    @Option(help: "The API requests' isolation: serializable (each request as if alone, as simulated; conflicts rerun) or repeatable-read (fewer reruns, write skew possible). Env: SENTINEL_REQUEST_ISOLATION. Default serializable.")
    public var requestIsolation: String?

    @Option(help: "Record the scheduler's inputs to FILE for `simharness replay` (appends). Env: SENTINEL_RECORD.")
    public var record: String?

    @Option(help: "trace, debug, info, notice, warning, error or critical. Env: LOG_LEVEL. Default info.")
    public var logLevel: String?

    // Every threshold of the profile (`ThresholdKey`), as a flag; the environment variable and
    // the thresholds file use the key's variable name.
    @Option(name: .customLong("heartbeat"), help: "Node heartbeat interval (e.g. 15s). Env: NODE_HEARTBEAT_INTERVAL.")
    public var heartbeat: String?
    @Option(name: .customLong("online-window"), help: "The scheduler assigns to nodes seen within this window. Env: SENTINEL_ONLINE_WINDOW.")
    public var onlineWindow: String?
    @Option(name: .customLong("offline-after"), help: "Offline marking age. Env: NODE_OFFLINE_AFTER.")
    public var offlineAfter: String?
    @Option(name: .customLong("offline-period"), help: "How often nodes are marked offline. Env: NODE_OFFLINE_MARKING_PERIOD.")
    public var offlinePeriod: String?
    @Option(name: .customLong("claim-timeout"), help: "A claim older than this is reaped. Env: CHUNK_CLAIM_TIMEOUT.")
    public var claimTimeout: String?
    @Option(name: .customLong("reaper-period"), help: "How often stale claims are reaped. Env: CHUNK_REAPER_PERIOD.")
    public var reaperPeriod: String?
    @Option(name: .customLong("reclaim-after"), help: "Today's sentinel reclaim (a duration, or off). Env: SENTINEL_RECLAIM_AFTER.")
    public var reclaimAfter: String?
    @Option(name: .customLong("fallback"), help: "LISTEN timeout: a pass runs at least this often. Env: SENTINEL_FALLBACK_PERIOD.")
    public var fallback: String?
    @Option(name: .customLong("debounce"), help: "Wait after a notification before a pass. Env: SENTINEL_DEBOUNCE.")
    public var debounce: String?
    @Option(name: .customLong("batch"), help: "Pending chunks read per pass. Env: SENTINEL_BATCH_SIZE.")
    public var batch: String?

    /// The threshold flags by key.
    var thresholdFlags: [(ThresholdKey, String?)] {
        [
            (.heartbeatInterval, heartbeat), (.onlineWindow, onlineWindow), (.offlineAfter, offlineAfter),
            (.offlineMarkingPeriod, offlinePeriod), (.claimTimeout, claimTimeout), (.reaperPeriod, reaperPeriod),
            (.sentinelReclaimAfter, reclaimAfter), (.fallbackPeriod, fallback), (.debounce, debounce),
            (.assignmentBatch, batch),
        ]
    }
}

/// The resolved configuration: flags over environment over the thresholds file over the base
/// profile. Every bad value is an error naming its flag or variable; nothing here traps.
public struct ServerConfiguration: Sendable {
    public var databaseURL: String
    public var host: String
    public var port: Int
    public var role: Role
    public var profile: Profile
    public var poolSize: Int
    public var requestIsolation: PGConnection.Isolation
    public var recordPath: String?
    public var logLevel: Logger.Level

    public struct Invalid: Error, CustomStringConvertible {
        public var description: String
    }

    public init(_ o: ServeOptions, environment env: [String: String], readFile: (String) throws -> [UInt8]) throws(Invalid) {
        func pick(_ flag: String?, _ variable: String) -> (value: String, source: String)? {
            if let flag { return (flag, "--\(Self.flagName(variable))") }
            if let value = env[variable], !value.isEmpty { return (value, variable) }
            return nil
        }
        guard let url = pick(o.databaseURL, "DATABASE_URL") else {
            throw Invalid(description: "no database: set DATABASE_URL or pass --database-url (postgresql://user@host:port/db)")
        }
        databaseURL = url.value
        host = pick(o.host, "HOST")?.value ?? "0.0.0.0"
        if let p = pick(o.port, "PORT") {
            guard let n = Int(p.value), (0...65_535).contains(n) else {
                throw Invalid(description: "\(p.source)=\(Self.clip(p.value)): a port is an integer from 0 to 65535")
            }
            port = n
        } else {
            port = 8080
        }
        if let r = pick(o.role, "SENTINEL_ROLE") {
            guard let parsed = Role(rawValue: r.value) else {
                throw Invalid(description: "\(r.source)=\(Self.clip(r.value)): the role is api, scheduler or all")
            }
            role = parsed
        } else {
            role = .all
        }
        if let n = pick(o.poolSize, "SENTINEL_DB_POOL_SIZE") {
            guard let size = Int(n.value), (1...256).contains(size) else {
                throw Invalid(description: "\(n.source)=\(Self.clip(n.value)): the pool size is an integer from 1 to 256")
            }
            poolSize = size
        } else {
            poolSize = 4
        }
        switch pick(o.requestIsolation, "SENTINEL_REQUEST_ISOLATION") {
        case nil: requestIsolation = .serializable
        case let i? where i.value == "serializable": requestIsolation = .serializable
        case let i? where i.value == "repeatable-read": requestIsolation = .repeatableRead
        case let i?:
            throw Invalid(description: "\(i.source)=\(Self.clip(i.value)): serializable or repeatable-read")
        }
        let record = pick(o.record, "SENTINEL_RECORD")
        if let record, !role.schedules {
            throw Invalid(description: "\(record.source) records the scheduler, which --role api does not run (use scheduler or all)")
        }
        recordPath = record?.value
        if let l = pick(o.logLevel, "LOG_LEVEL") {
            guard let level = Logger.Level(rawValue: l.value.lowercased()) else {
                throw Invalid(description: "\(l.source)=\(Self.clip(l.value)): one of trace, debug, info, notice, warning, error, critical")
            }
            logLevel = level
        } else {
            logLevel = .info
        }

        // The profile: base, then the thresholds file, the environment, the flags.
        let baseName = pick(o.profile, "SENTINEL_PROFILE")
        guard let base = Profile.named(baseName?.value ?? "fixed"), !(baseName?.value.contains(":") ?? false) else {
            throw Invalid(description: "\(baseName?.source ?? "--profile")=\(Self.clip(baseName?.value ?? "")): no such profile (fixed, legacy, fixed+<defect>, fixed-<improvement>)")
        }
        var t = Thresholds(profile: base)
        if let file = pick(o.thresholds, "SENTINEL_THRESHOLDS_FILE") {
            let bytes: [UInt8]
            do { bytes = try readFile(file.value) } catch {
                throw Invalid(description: "\(file.source)=\(file.value): cannot read it (\(error))")
            }
            do { t = try ThresholdsFile(bytes: bytes, base: t).thresholds } catch {
                throw Invalid(description: "\(file.value): \(error.description)")
            }
        }
        do { t = try ThresholdsFile(environment: env, base: t).thresholds } catch {
            throw Invalid(description: "environment: \(error.description)")
        }
        for (key, flag) in o.thresholdFlags {
            guard let flag else { continue }
            do { try t.set(key, text: flag) } catch {
                throw Invalid(description: "--\(key.name)=\(Self.clip(flag)): \(error.description)")
            }
        }
        // Named by its spec, so a recording's header rebuilds exactly this profile.
        do { profile = try Profile(spec: t.spec(base: base)) } catch {
            throw Invalid(description: "profile: \(error.description)")
        }
    }

    /// `DATABASE_URL` → `database-url`.
    static func flagName(_ variable: String) -> String {
        switch variable {
        case "SENTINEL_ROLE": return "role"
        case "SENTINEL_PROFILE": return "profile"
        case "SENTINEL_THRESHOLDS_FILE": return "thresholds"
        case "SENTINEL_DB_POOL_SIZE": return "pool-size"
        case "SENTINEL_RECORD": return "record"
        case "SENTINEL_REQUEST_ISOLATION": return "request-isolation"
        default: return variable.lowercased().replacingUnderscores
        }
    }

    static func clip(_ s: String) -> String { s.count <= 60 ? s : String(s.prefix(60)) + "…" }
}

extension String {
    var replacingUnderscores: String { String(map { $0 == "_" ? "-" : $0 }) }
}
