import ArgumentParser
import AsyncHTTPClient
import ClientHTTP
import ClientRuntime
import Foundation
import JobSystem
import NIOCore
import NIOHTTP1

/// `apibench`: load for the issue-10 benchmarks (`scripts/bench-api`), against a running
/// sentinel. Node identities are derived from their index (SHA-256 of `apibench-node-<i>`), so
/// every subcommand agrees on them. Requests are signed in slices just before each slice is
/// sent, with the clock stopped while signing, so the figures are the server's, not the signing
/// client's, and no signature outlives the server's window however long the run (signing the
/// whole run up front made long runs fail with 401 stale signatures); each request is sent once
/// (distinct timestamps make distinct signatures: a replay would be refused).
@main
struct APIBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apibench", abstract: "Load generator for the issue-10 benchmarks (see scripts/bench-api).",
        subcommands: [Setup.self, Heartbeats.self, Completions.self])
}

struct Common: ParsableArguments {
    @Option var server: String
    @Option(help: "Bench nodes (identities 0..<n).") var nodes: Int = 50

    func address() throws -> ServerAddress {
        do { return try ServerAddress(server) } catch { throw ValidationError(error.description) }
    }

    func signer(_ i: Int) -> RequestSigner {
        let seed = SodiumSHA256().sha256(Array("apibench-node-\(i)".utf8)).bytes
        return RequestSigner(signer: Ed25519().makeSigner(seed: seed), hasher: SodiumSHA256())
    }

    func client(concurrency: Int) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = concurrency
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }
}

func signedRequest(_ signer: RequestSigner, _ path: String, _ body: JSONValue, at seconds: Int64) -> APIRequest {
    let bytes = body.canonicalBytes
    let signed = signer.sign(method: "POST", path: path, body: bytes, unixSeconds: seconds)
    var headers: APIHeaders = [:]
    for (name, value) in signed.headers { headers[name] = value }
    return APIRequest(method: "POST", path: path, headers: headers, body: bytes)
}

/// Requests signed per slice (`fire`): a slice takes well under a minute to send, far inside the
/// signature window.
let sliceSize = 2_000

/// Sends `count` requests with `concurrency` workers, in slices of `sliceSize` that `sign` makes
/// just before each is sent; the clock runs only while a slice is in flight. Prints the rate and
/// latency percentiles.
func fire(
    _ label: String, count: Int, transport: HTTPTransport, concurrency: Int, sign: (Range<Int>) -> [APIRequest]
) async {
    var results: [(Int64, Int)] = []
    results.reserveCapacity(count)
    var sending = Interval(micros: 0)
    var slices = 0
    for first in stride(from: 0, to: count, by: sliceSize) {
        let requests = sign(first..<min(count, first + sliceSize))
        slices += 1
        let start = SystemClock().now()
        results += await withTaskGroup(of: [(Int64, Int)].self) { group in
            for worker in 0..<concurrency {
                group.addTask {
                    var mine: [(Int64, Int)] = []
                    var i = worker
                    while i < requests.count {
                        let t0 = SystemClock().now()
                        let status = (try? await transport.send(requests[i]))?.status ?? 0
                        mine.append(((SystemClock().now() - t0).micros, status))
                        i += concurrency
                    }
                    return mine
                }
            }
            var all: [(Int64, Int)] = []
            for await part in group { all += part }
            return all
        }
        sending = sending + (SystemClock().now() - start)
    }
    guard !results.isEmpty else {
        print("\(label): nothing to send")
        return
    }
    let seconds = sending.seconds
    let latencies = results.map(\.0).sorted()
    func percentile(_ p: Double) -> Double { Double(latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))]) / 1000 }
    var statuses: [Int: Int] = [:]
    for (_, status) in results { statuses[status, default: 0] += 1 }
    let summary = statuses.keys.sorted().map { "\($0)×\(statuses[$0]!)" }.joined(separator: " ")
    print(
        "\(label): \(results.count) requests in \(ResultText.fixed(seconds, decimals: 2)) s = \(Int(Double(results.count) / seconds))/s, latency p50 \(ResultText.fixed(percentile(0.5), decimals: 2)) ms p99 \(ResultText.fixed(percentile(0.99), decimals: 2)) ms, statuses \(summary) (concurrency \(concurrency), signed in \(slices) slices of at most \(sliceSize) off the clock)"
    )
}

extension APIBench {
    /// Registers the bench nodes (each `max-parallel` slots), claims them for the token's user,
    /// and heartbeats each once (online).
    struct Setup: AsyncParsableCommand {
        @OptionGroup var common: Common
        @Option var token: String
        @Option var maxParallel: Int = 1_024

        func run() async throws {
            let client = common.client(concurrency: 8)
            let nodeTransport = HTTPTransport(server: try common.address(), client: client)
            let portal = HTTPTransport(server: try common.address(), client: client, authorization: token)
            let now = SystemClock().now().unixSeconds
            for i in 0..<common.nodes {
                let signer = common.signer(i)
                let body: JSONValue = [
                    "publicKey": .string(signer.signer.publicKey.base64), "name": .string("bench-\(i)"),
                    "totalCores": .number(Double(maxParallel)), "maxParallel": .number(Double(maxParallel)),
                    "platform": "linux", "version": "bench",
                ]
                let registered = try await nodeTransport.send(signedRequest(signer, "/node-register", body, at: now))
                guard registered.status == 200, let code = registered.json?["claimCode"]?.stringValue else {
                    throw ValidationError("node-register \(i): \(registered.status) \(String(decoding: registered.body, as: UTF8.self))")
                }
                if registered.json?["claimed"]?.boolValue != true {
                    let claim = try await portal.send(
                        APIRequest(method: "POST", path: "/node-claim", body: JSONValue.object(["claimCode": .string(code)]).canonicalBytes))
                    guard claim.status == 200 else { throw ValidationError("node-claim \(i): \(claim.status)") }
                }
                let beat = try await nodeTransport.send(signedRequest(signer, "/node-heartbeat", [:], at: now + 1))
                guard beat.status == 200 else { throw ValidationError("heartbeat \(i): \(beat.status)") }
            }
            try await client.shutdown()
            print("\(common.nodes) nodes registered, claimed and online")
        }
    }

    struct Heartbeats: AsyncParsableCommand {
        @OptionGroup var common: Common
        @Option var requests: Int = 20_000
        @Option var concurrency: Int = 32

        func run() async throws {
            let nodes = common.nodes
            guard nodes > 0, requests >= 0 else { throw ValidationError("--nodes must be positive and --requests not negative") }
            guard sliceSize / nodes <= 500 else { throw ValidationError("at most 500 heartbeats per node in a slice of \(sliceSize) (distinct timestamps in the window): use more --nodes") }
            let signers = (0..<nodes).map(common.signer)
            // Each node's heartbeats carry strictly increasing timestamps (a repeated one would be
            // a replay), each within the window of the moment its slice is signed.
            var last = [Int64](repeating: .min, count: nodes)
            let client = common.client(concurrency: concurrency)
            await fire("heartbeats", count: requests, transport: HTTPTransport(server: try common.address(), client: client),
                       concurrency: concurrency) { range in
                let now = SystemClock().now().unixSeconds
                return range.map { k in
                    let i = k % nodes
                    last[i] = max(last[i] + 1, now - 280)
                    return signedRequest(signers[i], "/node-heartbeat", [:], at: last[i])
                }
            }
            try await client.shutdown()
        }
    }

    /// Completes the running chunks listed on standard input (`chunk-id|node-id|attempt`, as
    /// `psql -At` prints them), each with a result that fits it (the config's model over its
    /// iterations).
    struct Completions: AsyncParsableCommand {
        @OptionGroup var common: Common
        @Option var config: String
        @Option var concurrency: Int = 32

        func run() async throws {
            guard let data = FileManager.default.contents(atPath: config), let json = try? JSONValue.parse(Array(data)),
                let simConfig = try? SimConfig(json: json)
            else { throw ValidationError("cannot read the config \(config)") }
            let result = try DPSModel.simulate(config: simConfig, seedOffset: 0, iterations: 1_000).json
            let client = common.client(concurrency: 8)
            let transport = HTTPTransport(server: try common.address(), client: client)
            // Which bench node each node id is: node-register answers a known key with its id.
            var signers: [String: RequestSigner] = [:]
            let now = SystemClock().now().unixSeconds
            for i in 0..<common.nodes {
                let signer = common.signer(i)
                let body: JSONValue = [
                    "publicKey": .string(signer.signer.publicKey.base64), "name": .string("bench-\(i)"), "totalCores": 1_024,
                    "maxParallel": 1_024, "platform": "linux", "version": "bench",
                ]
                let answer = try await transport.send(signedRequest(signer, "/node-register", body, at: now - 200))
                if let id = answer.json?["id"]?.stringValue { signers[id] = signer }
            }
            var work: [(signer: RequestSigner, body: JSONValue)] = []
            while let line = readLine() {
                let parts = line.split(separator: "|").map(String.init)
                guard parts.count == 3, let signer = signers[parts[1]], let attempt = Int(parts[2]) else { continue }
                work.append((signer, ["chunkId": .string(parts[0]), "attempt": .number(Double(attempt)), "result": result]))
            }
            try await client.shutdown()
            let fast = common.client(concurrency: concurrency)
            await fire("completions", count: work.count, transport: HTTPTransport(server: try common.address(), client: fast),
                       concurrency: concurrency) { range in
                let now = SystemClock().now().unixSeconds
                return range.map { signedRequest(work[$0].signer, "/chunk-complete", work[$0].body, at: now) }
            }
            try await fast.shutdown()
        }
    }
}
