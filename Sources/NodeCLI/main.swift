import ArgumentParser
import ClientHTTP
import ClientRuntime
import Foundation
import Logging
import JobSystem

/// `node`: the headless compute node. See `NodeCommand`.
@main
struct NodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node",
        abstract: "A headless compute node of the job system: registers, shows its claim code, computes the chunks it is given.",
        discussion: """
            On first run the node creates its identity (an Ed25519 seed) in the seed file, mode 0600, \
            and prints its claim code: its owner enters it in the portal (`portal claim CODE`). From then \
            on it heartbeats, receives assignments on the server's WebSocket channel, computes each chunk \
            with the DPS model on min(max-parallel, cores) threads, and reports the results.
            """,
        subcommands: [Run.self, Identity.self, Sign.self],
        defaultSubcommand: Run.self)
}

/// Where the node's identity lives and how to find the server.
struct CommonOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The API server's base URL (env SERVER_URL).", valueName: "url"))
    var server: String?

    @Option(name: .long, help: ArgumentHelp("The node's seed file (env NODE_SEED_FILE; default ~/.config/simharness-node/seed.json).", valueName: "path"))
    var seedFile: String?

    var seedPath: String {
        if let seedFile { return seedFile }
        if let env = ProcessInfo.processInfo.environment["NODE_SEED_FILE"], !env.isEmpty { return env }
        let base = ProcessInfo.processInfo.environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? ((ProcessInfo.processInfo.environment["HOME"] ?? ".") + "/.config")
        return base + "/simharness-node/seed.json"
    }

    func serverAddress() throws -> ServerAddress {
        guard let text = server ?? ProcessInfo.processInfo.environment["SERVER_URL"], !text.isEmpty else {
            throw ValidationError("no server: pass --server URL or set SERVER_URL")
        }
        do { return try ServerAddress(text) } catch { throw ValidationError(error.description) }
    }

    /// Loads the identity, creating it (and its folder, mode 0700) on first run.
    func identity() throws -> (NodeAgent.Durable, created: Bool) {
        let path = seedPath
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty, !FileManager.default.fileExists(atPath: folder) {
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw Failure("node: cannot create the folder \(folder) for the seed file: \(error.localizedDescription)")
            }
        }
        do {
            let (durable, created) = try SeedFile(path: path).loadOrCreate()
            return (durable, created)
        } catch {
            throw Failure("node: \(error)")
        }
    }
}

/// A line on standard output, at once (a pipe or file is block-buffered: a supervisor reading
/// the claim code must not wait for the buffer to fill).
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// A message and a non-zero exit, without a stack trace or a usage dump.
struct Failure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension NodeCommand {
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run the node (the default).")

        @OptionGroup var common: CommonOptions

        @Option(help: ArgumentHelp("Chunks computed at once, at most the cores (env NODE_MAX_PARALLEL; default: the cores).", valueName: "n"))
        var maxParallel: Int?

        @Option(help: ArgumentHelp("The node's name in the portal (default: the host name).", valueName: "name"))
        var name: String?

        @Option(help: ArgumentHelp("Time between heartbeats, e.g. 15s or 1s (env NODE_HEARTBEAT_INTERVAL; default 15s): the server's `--heartbeat`, a third of its online window.", valueName: "duration"))
        var heartbeat: String?

        @Option(help: ArgumentHelp("Log level: trace, debug, info, notice, warning, error.", valueName: "level"))
        var logLevel: String = "info"

        func validate() throws {
            if let maxParallel, !(1...1_024).contains(maxParallel) { throw ValidationError("--max-parallel must be in 1...1024") }
            _ = try heartbeatInterval()
            guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error") }
            if let name, !(1...64).contains(name.utf8.count) { throw ValidationError("--name must be 1 to 64 bytes") }
        }

        func run() async throws {
            let level = Logger.Level(rawValue: logLevel) ?? .info
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
            let logger = Logger(label: "node")
            let server = try common.serverAddress()
            var parallel = maxParallel
            if parallel == nil, let env = ProcessInfo.processInfo.environment["NODE_MAX_PARALLEL"], !env.isEmpty {
                guard let value = Int(env), (1...1_024).contains(value) else { throw ValidationError("NODE_MAX_PARALLEL must be in 1...1024") }
                parallel = value
            }
            let cores = onlineCores()
            let (durable, created) = try common.identity()
            var settings = NodeAgent.Settings(
                name: name ?? Self.hostName(), totalCores: cores, maxParallel: parallel ?? cores, platform: Self.platform,
                version: "1.0.0", signsRequests: true, profile: .fixed)
            settings.heartbeatInterval = try heartbeatInterval()
            let agent = NodeAgent(durable: durable, settings: settings, scheme: Ed25519(), hasher: SodiumSHA256())
            if created { logger.notice("created a new identity in \(common.seedPath)") }
            logger.notice(
                "node \(settings.name): key \(agent.publicKey.base64), \(settings.workerSlots) worker threads (\(cores) cores, max parallel \(settings.maxParallel)), server \(server)")
            let pool = WorkerPool(threads: settings.workerSlots)
            let runner = NodeRunner(
                agent: agent, transport: HTTPTransport(server: server, timeoutSeconds: 10), channel: WebSocketAssignmentChannel(server: server, logger: logger),
                pool: pool, seedFile: SeedFile(path: common.seedPath), logger: logger
            ) { event in
                switch event {
                case .claimCode(let code, let claimed):
                    if claimed {
                        say("claim code \(code) (claimed)")
                    } else {
                        say("claim code \(code): claim this node in the portal with `portal claim \(code)`")
                    }
                case .claimed:
                    say("claimed: receiving work")
                }
            }
            await runner.start()
            // Runs until killed; everything that matters is in the seed file and the server.
            while true { try await Task.sleep(nanoseconds: 3_600 * 1_000_000_000) }
        }

        /// `--heartbeat`, else `NODE_HEARTBEAT_INTERVAL`, else the profile's 15 s; 1 s to 1 h.
        func heartbeatInterval() throws -> Interval {
            let (text, source): (String?, String) =
                heartbeat != nil ? (heartbeat, "--heartbeat") : (ProcessInfo.processInfo.environment["NODE_HEARTBEAT_INTERVAL"], "NODE_HEARTBEAT_INTERVAL")
            guard let text, !text.isEmpty else { return Profile.fixed.heartbeatInterval }
            let interval: Interval
            do { interval = try DurationText.parse(text) } catch { throw ValidationError("\(source)=\(text): \(error)") }
            guard interval >= .seconds(1), interval <= .hours(1) else {
                throw ValidationError("\(source)=\(text): a heartbeat interval is between 1s and 1h (signatures have one-second resolution: two heartbeats in one second would be refused as a replay)")
            }
            return interval
        }

        static var platform: String {
            #if os(macOS)
            return "macos"
            #elseif os(Windows)
            return "windows"
            #else
            return "linux"
            #endif
        }

        static func hostName() -> String {
            // Host names are ASCII: cutting at 64 bytes cuts no character.
            let name = String(decoding: ProcessInfo.processInfo.hostName.utf8.prefix(64), as: UTF8.self)
            return name.isEmpty ? "node" : name
        }
    }

    struct Identity: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the node's public key and claim code (creating its identity if needed).")

        @OptionGroup var common: CommonOptions

        func run() async throws {
            let (durable, _) = try common.identity()
            let key = Ed25519().makeSigner(seed: durable.keySeed).publicKey
            print("public key  \(key.base64)")
            print("claim code  \(ClaimCode.derive(from: key, hasher: SodiumSHA256()))")
            if let id = durable.nodeID { print("node id     \(id.uuidString)") }
        }
    }

    struct Sign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the signature headers of a request as this node would send it (for curl and debugging).",
            discussion: "Prints three lines `X-Node-Key: …`, `X-Node-Sig: …`, `X-Node-Ts: …` for `curl -H @file`.")

        @OptionGroup var common: CommonOptions

        @Option(help: "The method (GET or POST).")
        var method: String = "POST"

        @Option(help: "The path as signed: the pathname, without the query.")
        var path: String

        @Option(help: ArgumentHelp("A file holding the exact body bytes (default: empty).", valueName: "file"))
        var bodyFile: String?

        @Option(help: ArgumentHelp("Unix seconds to sign with (default: now).", valueName: "seconds"))
        var timestamp: Int64?

        func run() async throws {
            let (durable, _) = try common.identity()
            var body: [UInt8] = []
            if let bodyFile {
                guard let data = FileManager.default.contents(atPath: bodyFile) else { throw Failure("node: cannot read \(bodyFile)") }
                body = Array(data)
            }
            let signer = RequestSigner(signer: Ed25519().makeSigner(seed: durable.keySeed), hasher: SodiumSHA256())
            let signed = signer.sign(method: method, path: path, body: body, unixSeconds: timestamp ?? SystemClock().now().unixSeconds)
            for (name, value) in signed.headers { print("\(name): \(value)") }
        }
    }
}
