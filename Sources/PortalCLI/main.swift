import ArgumentParser
import ClientHTTP
import ClientRuntime
import Foundation
import Logging
import JobSystem

/// `portal`: the portal's command line. See `PortalCommand`.
@main
struct PortalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "portal",
        abstract: "The job system's portal on the command line: submit simulations, follow them, claim nodes.",
        discussion: """
            Every command but `local` talks to the API server (--server or SERVER_URL) as the user \
            whose token is given (--token or PORTAL_TOKEN).
            """,
        subcommands: [Submit.self, Watch.self, Result.self, List.self, Claim.self, Local.self])
}

struct ServerOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The API server's base URL (env SERVER_URL).", valueName: "url"))
    var server: String?

    @Option(help: ArgumentHelp("Your portal token (env PORTAL_TOKEN).", valueName: "token"))
    var token: String?

    func transport() throws -> HTTPTransport {
        guard let text = server ?? ProcessInfo.processInfo.environment["SERVER_URL"], !text.isEmpty else {
            throw ValidationError("no server: pass --server URL or set SERVER_URL")
        }
        let address: ServerAddress
        do { address = try ServerAddress(text) } catch { throw ValidationError(error.description) }
        let secret = token ?? ProcessInfo.processInfo.environment["PORTAL_TOKEN"]
        if let secret, secret.isEmpty || secret.utf8.contains(where: { $0 < 0x21 || $0 > 0x7E }) {
            throw ValidationError("the token must be printable ASCII without spaces")
        }
        return HTTPTransport(server: address, authorization: secret)
    }
}

/// A message and a non-zero exit.
struct Failure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Reads a config file: at most 1 MiB of JSON.
func readConfig(_ path: String) throws -> JSONValue {
    guard let handle = FileHandle(forReadingAtPath: path) else { throw Failure("cannot read the config file \(path)") }
    defer { try? handle.close() }
    let data = (try? handle.read(upToCount: 1 << 20 + 1)) ?? Data()
    guard data.count <= 1 << 20 else { throw Failure("the config file \(path) is larger than 1 MiB") }
    do { return try JSONValue.parse(Array(data)) } catch { throw Failure("the config file \(path) is not JSON: \(error)") }
}

/// One request, its answer's body if it is a success, else a failure naming the server's reason.
func call(_ transport: HTTPTransport, _ method: String, _ path: String, body: JSONValue? = nil) async throws -> JSONValue {
    let request = APIRequest(method: method, path: path, body: body?.canonicalBytes ?? [])
    let response: APIResponse
    do { response = try await transport.send(request) } catch {
        throw Failure("\(method) \(path): no answer from \(transport.server): \(error)")
    }
    switch ResponseClass(response) {
    case .success(let json?): return json
    case .success(nil): throw Failure("\(method) \(path): the server answered \(response.status) with a body that is not JSON")
    case .transient(let reason), .definitive(let reason): throw Failure("\(method) \(path): \(reason)")
    case .unknownNode: throw Failure("\(method) \(path): \(response.status) unknown_node")
    }
}

func printResult(_ json: JSONValue, asJSON: Bool) throws {
    let result: SimulationResult
    do { result = try SimulationResult(json: json) } catch { throw Failure("the job's result is unreadable: \(error)") }
    if asJSON {
        print(String(decoding: result.json.canonicalBytes, as: UTF8.self))
    } else {
        print(ResultText.summary(result))
    }
}

/// Progress on standard error: redrawn in place on a terminal, one line per change otherwise.
struct ProgressPrinter: Sendable {
    let interactive = isatty(2) == 1

    func show(_ line: String) {
        if interactive {
            FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8))
        } else {
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
    }

    func finish() {
        if interactive { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}

extension PortalCommand {
    struct Submit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Submit a simulation and follow it to its result (polling every 2 s).")

        @OptionGroup var server: ServerOptions

        @Argument(help: ArgumentHelp("The simulation config (JSON).", valueName: "config.json"))
        var config: String

        @Option(help: "Iterations to simulate.")
        var iterations: Int

        @Option(help: "Who may compute it: private (your nodes), public, user, discord.")
        var access: String = "private"

        @Option(help: ArgumentHelp("The Discord server whose members' nodes may compute it (with --access discord).", valueName: "id"))
        var discordServer: String?

        @Flag(help: "Print the result as JSON (the exact tally and its statistics).")
        var json = false

        @Flag(help: "Print the job id and return without waiting.")
        var noWait = false

        func validate() throws {
            guard iterations > 0 else { throw ValidationError("--iterations must be positive") }
            guard AccessType(rawValue: access) != nil else { throw ValidationError("--access must be private, public, user or discord") }
        }

        func run() async throws {
            let transport = try server.transport()
            let document = try readConfig(config)
            let access = AccessType(rawValue: access)!
            if noWait {
                var body: [String: JSONValue] = ["config": document, "iterations": .number(Double(iterations)), "accessType": .string(access.rawValue)]
                if let discordServer { body["discordServerId"] = .string(discordServer) }
                let answer = try await call(transport, "POST", "/job-create", body: .object(body))
                print(answer["jobId"]?.stringValue ?? "?")
                return
            }
            let progress = ProgressPrinter()
            let logger = Logger(label: "portal")
            let runner = PortalRunner(
                submission: document, iterations: iterations, accessType: access, discordServerID: discordServer,
                transport: transport, logger: logger
            ) { record in
                guard let reading = record.lastObservation else { return }
                progress.show(ResultText.progressBar(completed: reading.completedIterations, total: reading.totalIterations, status: reading.status.rawValue))
            }
            let record = await runner.run()
            progress.finish()
            switch record.outcome {
            case .failed(let failure):
                throw Failure("the job was not created: \(failure.step): \(failure.reason)")
            case .created(let id, let chunks):
                FileHandle.standardError.write(Data("job \(id.uuidString) (\(chunks) chunks) completed\n".utf8))
            case .notYetSubmitted, .inProgress:
                throw Failure("the submission did not finish")
            }
            for anomaly in record.anomalies {
                FileHandle.standardError.write(Data("warning: \(anomaly)\n".utf8))
            }
            guard let result = record.result else { throw Failure("the job completed without a result") }
            try printResult(result, asJSON: json)
        }
    }

    struct Watch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Follow a job to its result (polling every 2 s).")

        @OptionGroup var server: ServerOptions

        @Argument(help: "The job id.")
        var job: String

        @Flag(help: "Print the result as JSON.")
        var json = false

        @Option(help: ArgumentHelp("Seconds between polls.", valueName: "s"))
        var interval: Int = 2

        func validate() throws {
            guard JobID(uuidString: job) != nil else { throw ValidationError("\(job) is not a job id (a UUID)") }
            guard (1...3_600).contains(interval) else { throw ValidationError("--interval must be in 1...3600") }
        }

        func run() async throws {
            let transport = try server.transport()
            let progress = ProgressPrinter()
            var last = ""
            while true {
                let row = try await call(transport, "GET", "/jobs/\(job)")
                guard let status = row["status"]?.stringValue, let done = row["completedIterations"]?.intValue,
                    let total = row["totalIterations"]?.intValue
                else { throw Failure("the server's job row is unreadable") }
                let line = ResultText.progressBar(completed: done, total: total, status: status)
                if line != last { progress.show(line) }
                last = line
                if status == JobStatus.completed.rawValue {
                    progress.finish()
                    guard let result = row["result"], !result.isNull else { throw Failure("the job completed without a result") }
                    try printResult(result, asJSON: json)
                    return
                }
                try await Task.sleep(nanoseconds: UInt64(interval) * 1_000_000_000)
            }
        }
    }

    struct Result: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a job's status and, once completed, its result.")

        @OptionGroup var server: ServerOptions

        @Argument(help: "The job id.")
        var job: String

        @Flag(help: "Print the result as JSON.")
        var json = false

        func validate() throws {
            guard JobID(uuidString: job) != nil else { throw ValidationError("\(job) is not a job id (a UUID)") }
        }

        func run() async throws {
            let row = try await call(try server.transport(), "GET", "/jobs/\(job)")
            let status = row["status"]?.stringValue ?? "?"
            guard let result = row["result"], !result.isNull else {
                let done = row["completedIterations"]?.intValue ?? 0
                let total = row["totalIterations"]?.intValue ?? 0
                throw Failure("job \(job) is \(status) (\(done)/\(total) iterations): no result yet")
            }
            try printResult(result, asJSON: json)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List your jobs, newest first.")

        @OptionGroup var server: ServerOptions

        func run() async throws {
            let answer = try await call(try server.transport(), "GET", "/jobs")
            guard let jobs = answer["jobs"]?.arrayValue else { throw Failure("the server's job list is unreadable") }
            print("id                                    status     progress              mean DPS  created")
            for job in jobs {
                let id = job["id"]?.stringValue ?? "?"
                let status = job["status"]?.stringValue ?? "?"
                let done = job["completedIterations"]?.intValue ?? 0
                let total = job["totalIterations"]?.intValue ?? 0
                var mean = "-"
                if let result = job["result"], !result.isNull, let parsed = try? SimulationResult(json: result) {
                    mean = ResultText.fixed(parsed.meanDPS, decimals: 2)
                }
                let progress = "\(done)/\(total)"
                print(
                    "\(id)  \(status.padding(toLength: 9, withPad: " ", startingAt: 0))  \(progress.padding(toLength: 20, withPad: " ", startingAt: 0))  \(mean.leftPad(8))  \(job["createdAt"]?.stringValue ?? "")"
                )
            }
            if jobs.isEmpty { print("(no jobs)") }
        }
    }

    struct Claim: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Claim a node by the code it printed.")

        @OptionGroup var server: ServerOptions

        @Argument(help: "The node's 6-character claim code.")
        var code: String

        func run() async throws {
            let answer = try await call(try server.transport(), "POST", "/node-claim", body: ["claimCode": .string(code)])
            print("claimed node \(answer["id"]?.stringValue ?? "?")")
        }
    }

    struct Local: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Compute a simulation's result on this machine with the nodes' DPS model (no server).",
            discussion: """
                The result is exact and does not depend on how the iterations are split into chunks, \
                so it equals what the system computes for the same config and iterations: a way to \
                check a job's result. Configs naming a rotation need --rotation.
                """)

        @Argument(help: ArgumentHelp("The simulation config (JSON).", valueName: "config.json"))
        var config: String

        @Option(help: "Iterations to simulate.")
        var iterations: Int

        @Option(help: ArgumentHelp("The rotation the config names (JSON).", valueName: "rotation.json"))
        var rotation: String?

        @Option(help: "Iterations per chunk, as the server splits jobs (seed offsets 0, n, 2n, ...).")
        var chunkIterations: Int = 1_000

        @Flag(help: "Print the result as JSON.")
        var json = false

        func validate() throws {
            guard (1...10_000_000).contains(iterations) else { throw ValidationError("--iterations must be in 1...10000000") }
            guard chunkIterations > 0 else { throw ValidationError("--chunk-iterations must be positive") }
        }

        func run() async throws {
            let parsed: SimConfig
            do { parsed = try SimConfig(json: try readConfig(config)) } catch let error as ConfigError {
                throw Failure("the config is invalid: \(error)")
            }
            var rotationValue: Rotation?
            if let rotation {
                do { rotationValue = try Rotation(json: try readConfig(rotation)) } catch let error as ConfigError {
                    throw Failure("the rotation is invalid: \(error)")
                }
            }
            let model: DPSModel
            do { model = try DPSModel(config: parsed, rotation: rotationValue) } catch { throw Failure("the model refuses the config: \(error)") }
            // As the system does: one chunk per `chunkIterations`, seed offsets i·chunkIterations,
            // aggregated exactly.
            var chunks: [ChunkResult] = []
            var offset = 0
            while offset < iterations {
                let count = Swift.min(chunkIterations, iterations - offset)
                chunks.append(model.run(seedOffset: Int64(offset), iterations: count))
                offset += count
            }
            guard let result = SimulationResult.aggregate(chunks) else { throw Failure("the result overflows") }
            if json {
                print(String(decoding: result.json.canonicalBytes, as: UTF8.self))
            } else {
                print(ResultText.summary(result))
            }
        }
    }
}

extension String {
    func leftPad(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
