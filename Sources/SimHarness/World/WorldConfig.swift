import Engine
import JobSystem

/// Everything a run is made of, as data: the same config and seed give the same run.
public struct WorldConfig: Sendable {
    public var seed: UInt64
    public var profile: Profile
    public var sentinels = 1
    public var nodes: [NodeSpec] = []
    public var users: [UserSpec] = []
    /// Discord guilds and their members (ground truth; sentinels learn it through events).
    public var guilds: [String: [UInt64]] = [:]
    /// The default link between any two actors.
    public var link: LinkModel = .standard
    /// Signature primitive: Ed25519 (libsodium) by default; the stand-in for very large fleets.
    public var signatures: SignatureChoice = .ed25519
    /// What crosses the simulated network for the per-event node messages (heartbeat,
    /// chunk-complete and their answers): their JSON bodies (the real wire, always in the
    /// catalogue) or the values themselves (the typed wire, a stand-in for fleets of thousands;
    /// see `TypedWire.swift` and `TypedWireTests`).
    public var wire: WireChoice = .json
    /// How nodes compute a chunk: the real DPS model, or its drawn duration and a cheap
    /// deterministic result with the model's statistics (fleets of thousands).
    public var compute: ComputeChoice = .realModel
    /// The time one chunk of 1,000 iterations takes (the fleet workload's LogNormal, median 20 s).
    public var chunkDuration: DurationDistribution = .logNormal(median: .seconds(Int64(20)), sigma: 0.5)
    /// Random node crashes: mean time between crashes per node (nil: none) and restart delay.
    public var nodeCrashMean: SimDuration? = nil
    public var nodeRestartDelay: SimDuration = .seconds(Int64(300))
    /// Configs already in the store when the run starts, created and last used eight days
    /// earlier and referenced by no job (what the hourly clean-up deletes).
    public var staleConfigs: [JSONValue] = []
    /// How often portal users poll each job (the portal's `useJob` polls every 2 s).
    public var pollInterval: Interval = .seconds(2)
    /// Requests without an answer after this long are retried by their client.
    public var requestTimeout: Interval = .seconds(10)
    /// How long an assignment channel cut by a partition takes to notice (its WebSocket
    /// keepalive: a ping unanswered within this closes the connection).
    public var channelKeepalive: Interval = .seconds(20)
    /// Deploys that mix versions: the profile each sentinel process runs, by index (missing or
    /// nil: the world's profile), so today's sentinel and ours can schedule against one store.
    /// The store, handlers and nodes always run `profile`.
    public var sentinelProfiles: [Profile?] = []
    /// An upgrade of one sentinel in the middle of a pass (nil: none).
    public var sentinelUpgrade: SentinelUpgrade? = nil
    /// How the store's handlers treat today's unsigned nodes while they are upgraded.
    public var nodeMigration: NodeMigration = .refuseUnsigned

    public init(seed: UInt64, profile: Profile) {
        self.seed = seed
        self.profile = profile
    }
}

/// A sentinel replaced by another version mid-assignment: from `after`, sentinel `index` is
/// stopped right after it sends its next apply (the statement runs and commits; its reply finds
/// nobody), and a process running `to` starts in its place `restartAfter` later. It must leave
/// nothing assigned twice and nothing lost.
public struct SentinelUpgrade: Sendable {
    public var index: Int
    public var after: SimDuration
    public var to: Profile
    public var restartAfter: SimDuration

    public init(index: Int, after: SimDuration, to: Profile, restartAfter: SimDuration = .seconds(Int64(5))) {
        self.index = index
        self.after = after
        self.to = to
        self.restartAfter = restartAfter
    }
}

/// The seeds' two rollout options for signing nodes (their "deployment ordering risk"), and
/// doing without either.
public enum NodeMigration: Sendable {
    /// Unsigned requests are refused from the start: today's nodes stop working until upgraded.
    case refuseUnsigned
    /// Option A: the handlers serve unsigned requests as today's do until this instant of the
    /// run (`RequestHandlers.acceptUnsignedUntil`), then refuse them.
    case acceptUnsigned(until: SimDuration)
    /// Option B: today's handlers (the edge functions) stay up beside ours; today's nodes,
    /// which send no signature headers, reach them, upgraded nodes reach ours.
    case todaysHandlersBeside
}

public enum SignatureChoice: String, Sendable {
    case ed25519
    case standIn = "stand-in"
}

/// The simulated wire of the node messages: JSON bodies encoded, signed and parsed as in
/// production, or typed values handed over (`TypedWire.swift`). The decisions are the same on
/// both (`TypedWireTests`: round trip of every typed message, and a fleet's store decisions).
public enum WireChoice: String, Sendable, CaseIterable {
    case json
    case typed
}

public enum ComputeChoice: String, Sendable {
    case realModel = "real"
    case standIn = "stand-in"
}

/// One node of the fleet.
public struct NodeSpec: Sendable {
    public var name: String
    public var totalCores = 4
    public var maxParallel = 4
    /// Software version; versions below `NodeSpec.signingVersion` behave as today's nodes.
    public var version = NodeSpec.currentVersion
    /// Index into `WorldConfig.users` of the user who claims it (nil: stays unclaimed).
    public var owner: Int? = 0
    /// Users (indices) granted a `user` permission on it.
    public var permittedUsers: [Int] = []
    /// When it first boots.
    public var bootAt: SimDuration = .zero
    /// How many times longer than the workload's chunk duration this node's computations take
    /// (a slow machine: `slow-chunks`).
    public var slowdown: Int64 = 1

    public static let currentVersion = "2.0.0"
    public static let legacyVersion = "1.4.2"

    public init(name: String) { self.name = name }

    /// Whether this version signs its requests.
    public var signs: Bool { !version.hasPrefix("1.") }
}

/// A portal user and what they submit.
public struct UserSpec: Sendable {
    public var name: String
    public var discordID: UInt64?
    public var submissions: [SubmissionSpec] = []
    public init(name: String, discordID: UInt64? = nil) {
        self.name = name
        self.discordID = discordID
    }
}

public struct SubmissionSpec: Sendable {
    public var at: SimDuration
    public var config: JSONValue
    public var iterations: Int
    public var accessType: AccessType = .public
    public var discordServerID: String? = nil
    public init(at: SimDuration, config: JSONValue, iterations: Int) {
        self.at = at
        self.config = config
        self.iterations = iterations
    }
}
