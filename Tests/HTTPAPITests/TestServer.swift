import Foundation
import HTTPAPI
import Hummingbird
import HummingbirdTesting
import HummingbirdWebSocket
import JobSystem
import Logging
import PostgresStore
import Testing

/// Every suite here shares one database and empties it first: they run one at a time.
@Suite(.serialized) struct PostgreSQLBackedTests {}

/// The PostgreSQL these tests run against: a database of their own (`simharness_httpapi`) on
/// the server `scripts/test` starts (`SIMHARNESS_TEST_DATABASE_URL`), so that they never truncate
/// under the store contract suite running beside them. Without the URL the tests fail, saying
/// so: they never skip.
enum TestDatabase {
    struct SetupError: Error, CustomStringConvertible {
        var description: String
    }

    static let name = "simharness_httpapi"

    /// Created and migrated once per process.
    static let prepared: Result<String, SetupError> = {
        guard let base = ProcessInfo.processInfo.environment["SIMHARNESS_TEST_DATABASE_URL"], !base.isEmpty else {
            return .failure(SetupError(description:
                "SIMHARNESS_TEST_DATABASE_URL is not set: run scripts/test, which starts a PostgreSQL server for these tests"))
        }
        do throws(StoreError) {
            let admin = try PGConnection(base)
            if try admin.execute("SELECT 1 FROM pg_database WHERE datname = $1", [name]).isEmpty {
                try admin.execute("CREATE DATABASE \(name)")
            }
            let url = replacingDatabase(in: base, with: name)
            try Migrations.apply(on: try PGConnection(url))
            return .success(url)
        } catch {
            return .failure(SetupError(description: "cannot prepare the test database at \(base): \(error)"))
        }
    }()

    /// The URL of a just-emptied database.
    static func fresh() throws -> String {
        let url = try prepared.get()
        try PostgresAdmin.truncateAll(on: try PGConnection(url))
        return url
    }

    /// `postgresql://u@h:p/db?x` with another database name.
    static func replacingDatabase(in url: String, with database: String) -> String {
        let (main, query) = url.firstIndex(of: "?").map { (String(url[..<$0]), String(url[$0...])) } ?? (url, "")
        guard let schemeEnd = main.range(of: "://"), let slash = main[schemeEnd.upperBound...].firstIndex(of: "/") else {
            return main + "/" + database + query
        }
        return String(main[..<slash]) + "/" + database + query
    }
}

/// A server on the test database: the fixed profile's handlers on real PostgreSQL.
struct TestServer {
    let url: String
    let api: APIServer

    init(profile: Profile = .fixed, settings: APIServer.Settings = .init()) throws {
        url = try TestDatabase.fresh()
        var logger = Logger(label: "httpapi-tests")
        logger.logLevel = .error
        api = APIServer(
            handlers: RequestHandlers(profile: profile, hasher: SodiumSHA256(), scheme: Ed25519()), conninfo: url,
            settings: settings, logger: logger)
    }

    /// The application as `sentinel` builds it for the API role (minus /status and friends).
    func application() -> some ApplicationProtocol {
        let router = Router(context: BasicWebSocketRequestContext.self)
        api.addRoutes(to: router)
        var logger = Logger(label: "httpapi-tests")
        logger.logLevel = .error
        return Application(
            router: router, server: .http1WebSocketUpgrade(webSocketRouter: router),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)), services: [api.feed], logger: logger)
    }

    /// A direct session, for setting up and checking rows.
    func session() throws -> PostgresStore { try PostgresStore(conninfo: url) }

    func addUser(_ name: String) throws -> UserTokens.Issued {
        try UserTokens.addUser(name: name, discordID: nil, on: try PGConnection(url))
    }
}

/// A node's key and its request signatures, made on the wall clock like a real node's.
struct TestNode {
    let signer: RequestSigner

    init(seed: UInt8) {
        signer = RequestSigner(signer: Ed25519().makeSigner(seed: [UInt8](repeating: seed, count: 32)), hasher: SodiumSHA256())
    }

    var publicKey: PublicKey { signer.signer.publicKey }

    /// Signed `secondsAgo` before now (a retry signed anew carries another signature).
    func headers(_ method: String, _ path: String, body: [UInt8] = [], secondsAgo: Int64 = 0, extra: [(String, String)] = []) -> HTTPFields {
        let signed = signer.sign(method: method, path: path, body: body, unixSeconds: APIServer.wallClock().unixSeconds - secondsAgo)
        return fields(signed.headers + extra)
    }

    func registration(name: String = "test-node") -> [UInt8] {
        let body: JSONValue = [
            "publicKey": .string(publicKey.base64), "name": .string(name), "totalCores": 4, "maxParallel": 4,
            "platform": "linux", "version": "1.0.0",
        ]
        return body.canonicalBytes
    }
}

func fields(_ pairs: [(String, String)]) -> HTTPFields {
    var out = HTTPFields()
    for (name, value) in pairs { out.append(HTTPFields.Element(name: .init(name)!, value: value)) }
    return out
}

func bearer(_ token: String) -> HTTPFields { fields([("Authorization", "Bearer \(token)")]) }

func buffer(_ bytes: [UInt8]) -> ByteBuffer { ByteBuffer(bytes: bytes) }

func buffer(_ json: JSONValue) -> ByteBuffer { ByteBuffer(bytes: json.canonicalBytes) }

/// The response body as JSON (a test failure if it is not).
func json(_ response: TestResponse) throws -> JSONValue {
    let bytes = response.body.getBytes(at: response.body.readerIndex, length: response.body.readableBytes) ?? []
    return try JSONValue.parse(bytes)
}

/// The `error` code of a rejection's body.
func code(_ response: TestResponse) throws -> String? {
    try json(response).objectValue?["error"]?.stringValue
}

/// The canonical config the handlers' tests use.
let sampleConfig: JSONValue = [
    "fightLengthSeconds": 300, "targets": 1, "hastePercent": 10, "critChance": 0.2, "critMultiplier": 2,
    "abilities": [
        ["name": "bolt", "minDamage": 100, "maxDamage": 200, "cooldownMs": 0, "castTimeMs": 1500, "aoe": false],
        ["name": "nova", "minDamage": 300, "maxDamage": 400, "cooldownMs": 10_000, "castTimeMs": 0, "aoe": true],
    ],
]

/// Setting up rows the way the tests below start: on a direct session, not over HTTP.
extension PostgresStore {
    /// Registers `key`'s node (`cores` cores, as many parallel slots), claims it for `owner` and,
    /// if `online`, heartbeats it once so the scheduler sees it online.
    mutating func claimedNode(_ key: PublicKey, owner: UserID, cores: Int = 4, online: Bool = true) throws -> NodeRow {
        let node = try registerNode(NodeRegistration(
            publicKey: key, claimCode: ClaimCode.derive(from: key, hasher: SodiumSHA256()), name: "n", totalCores: cores,
            maxParallel: cores, platform: "linux", version: "1.0.0")).node
        _ = try claimNode(claimCode: node.claimCode, by: owner)
        if online { _ = try heartbeat(node.id) }
        return node
    }

    /// A job of `owner` over `sampleConfig`, `iterations / 1,000` chunks, all pending.
    mutating func sampleJob(owner: UserID, iterations: Int, access: AccessType = .private, discordServerID: String? = nil) throws -> JobID {
        let config = NewConfig(
            hash: ConfigHash.of(sampleConfig, hasher: SodiumSHA256()), canonicalJSON: sampleConfig.canonicalString, rotationID: nil)
        return try createJob(
            NewJob(userID: owner, configHash: config.hash, totalIterations: iterations, chunkIterations: 1_000,
                   accessType: access, discordServerID: discordServerID),
            upserting: config
        ).jobID
    }
}
