/// A compute node (the seeds' `crates/node`) as a state machine: inputs in, effects out, no I/O
/// of its own, exactly the shape of `Sentinel`, so the simulator and the production runner
/// drive the same code.
///
/// Life: `boot` → register if the key has no node id yet (retried with backoff until it works)
/// → heartbeat at once and then every `heartbeatInterval`. Heartbeats go on while the node is
/// unclaimed; the server refuses them until a user claims the node, which is normal. If the
/// server says the key is unknown (the hourly cleanup deletes unclaimed nodes), the node
/// registers again: same key, same claim code.
///
/// Work: assignments are pushed over the node's assignment channel, which the node opens
/// itself once it has an id and reopens with backoff whenever it closes; its first message
/// lists the chunks the node holds, so a push lost while unsubscribed is recovered at once. Each needs its config (fetched by
/// hash, verified against the hash, cached) and the config's rotation if it names one. Then it
/// runs on a free worker slot, at most `min(maxParallel, totalCores)` at once; the rest wait in
/// arrival order. A result is reported with `chunk-complete`, retried with jittered exponential
/// backoff until the server takes it or refuses it for good.
///
/// Crash: the driver drops the agent (running work, queue, caches, outstanding requests are
/// lost) and builds a new one from the last `persist`ed `Durable`; the driver must also drop
/// the old life's timers. Every id the agent hands out carries its incarnation, so answers to
/// a previous life are ignored rather than misread.
public struct NodeAgent: Sendable {
    public enum Input: Sendable, Equatable {
        case boot
        case timer(NodeTimer)
        case response(requestID: UInt64, APIResponse)
        /// A message of the assignment channel (`AssignmentChannelMessage`).
        case channel(AssignmentChannelMessage)
        /// The assignment channel closed: refused (the server's answer to the open) or dropped
        /// (nil: the connection broke or could not be made).
        case channelClosed(refusal: APIResponse?)
        case computeFinished(chunkID: ChunkID, attempt: Int, result: ChunkResult)
    }

    public enum Effect: Sendable, Equatable {
        case send(requestID: UInt64, APIRequest)
        case setTimer(NodeTimer, after: Interval)
        case cancelTimer(NodeTimer)
        /// Boxed (`indirect`): every effect is as large as its largest case, and inline the
        /// order (the assignment, its config and rotation) made each one 184 bytes, which the
        /// compiler copies through `memcpy`: at each append and twice at each drain, twelve
        /// calls a heartbeat's round trip. Boxed, an effect is `.send`'s 96 bytes and a tag
        /// (`NodeEffectListTests`), copied inline. One allocation per computation, rare beside
        /// the heartbeats.
        indirect case startCompute(ComputeOrder)
        /// Open the assignment channel with this signed request (a WebSocket upgrade in
        /// production), replacing any connection still open.
        case openChannel(APIRequest)
        /// Close the assignment channel's connection.
        case closeChannel
        /// Write this to disk now: it is what the node restarts from.
        case persist(Durable)
    }

    // Stored properties in the order a heartbeat reads them (Swift lays a struct out in
    // declaration order): a simulated fleet keeps its agents inline in an array of node hosts,
    // and at 10,000 nodes every node event starts with cache misses on its host. What a
    // heartbeat and its answer touch (the id serial, the operations with the heartbeat's own
    // inline, the durable state's incarnation and node id, the running list, the hot counters,
    // the settings' flags and intervals, the signer) comes first and together; the channel, the
    // queue and the caches after. `NodeHostLayoutTests` bounds the span.

    var nextSerial: UInt64 = 1
    /// Operations in progress by id (the first inline: usually the heartbeat's). An answer or a
    /// timeout finds its operation by the request id in `Operation.inFlight`: an operation has
    /// at most one request out, and a request id leaves `inFlight` exactly when its answer or
    /// timeout is handled (a second table from request ids to operations said the same).
    var operations = IDTable<Operation>()
    public internal(set) var durable: Durable
    /// Assignments being computed, in start order.
    var running: [ChunkAssignment] = []
    public let settings: Settings
    var signer: RequestSigner
    /// What the last answer said about the claim: nil until registration or a heartbeat tells.
    public internal(set) var isClaimed: Bool?
    var booted = false
    public internal(set) var counters = Counters()
    /// The node's key, read from its signer (which keeps it, and its base64 spelling, once: a
    /// second copy here was 48 bytes inline and an 80-byte string per node).
    public var publicKey: PublicKey { signer.publicKey }
    /// `publicKey` in base64, the `X-Node-Key` value of every signed request: encoded once.
    var publicKeyBase64: String { signer.publicKeyBase64 }
    /// SHA-256, for config verification and the jitter seed: the signer's own (one existential
    /// per node, not two).
    var hasher: any SHA256Hashing { signer.hasher }

    var random: JitterSource
    /// Assignments waiting for a slot (or their config), oldest first.
    var queue: [ChunkAssignment] = []
    /// Claims queued, running or being reported: a second push of one of them is a duplicate.
    var active: Set<ChunkKey> = []
    /// Recently finished claims (reported or given up), so a late duplicate push is not rerun.
    var finished = RecentSet<ChunkKey>(capacity: 1_024)
    var configs: [ConfigHash: ConfigState] = [:]
    /// Ready configs, least recently used first (the eviction order).
    var configUse: [ConfigHash] = []
    var rotations: [String: Rotation] = [:]
    var rotationUse: [String] = []
    /// The assignment channel (`NodeAgent+Channel.swift`): its state is below.
    var channelFailures = 0
    /// The second the last channel open was signed at, `Int64.min` before the first: the next
    /// is signed at `lastChannelSignedSecond &+ 1` at the earliest (as `Operation`'s
    /// `lastSignedSecond`: not an optional, which took 8 bytes more).
    var lastChannelSignedSecond: Int64 = .min
    // The optional and one-byte fields last, side by side: each of them between two 8-byte
    // fields took 8 or 16 bytes.
    /// The registration operation, while one runs.
    var registration: UInt64?
    var channel: ChannelState = .closed

    /// - Parameters:
    ///   - scheme: derives the key pair from `durable.keySeed` (Ed25519 in production and in
    ///     faithful simulations).
    ///   - hasher: SHA-256, for request signing, config verification and the jitter seed.
    public init(durable: Durable, settings: Settings, scheme: any SignatureScheme, hasher: any SHA256Hashing) {
        self.durable = durable
        self.settings = settings
        self.signer = RequestSigner(signer: scheme.makeSigner(seed: durable.keySeed), hasher: hasher)
        self.random = JitterSource(keySeed: durable.keySeed, incarnation: durable.incarnation, hasher: hasher)
    }

    /// Chunks being computed, in start order.
    public var runningChunks: [ChunkAssignment] { running }
    /// Chunks waiting for a worker slot or their config, in arrival order.
    public var queuedChunks: [ChunkAssignment] { queue }
    /// Results computed and not yet taken or refused by the server.
    public var pendingCompletions: Int {
        operations.values.reduce(0) { count, op in
            if case .complete = op.kind { return count + 1 }
            return count
        }
    }
    public var isRegistered: Bool { durable.nodeID != nil }
    /// Whether the assignment channel is open (its `subscribed` message arrived).
    public var isSubscribed: Bool { channel == .open }
    /// Whether the node is working on `chunk`: queued for a slot, computing it, or reporting
    /// its result (the harness counts reclaims of such chunks as false reclaims).
    public func isWorking(on chunk: ChunkID) -> Bool { active.contains { $0.chunkID == chunk } }

    /// Handles one input, appending its effects to `effects` in the order they must be
    /// carried out.
    public mutating func handle(_ input: Input, now: Timestamp, effects: inout [Effect]) {
        var list = EffectList()
        handle(input, now: now, effects: &list)
        list.drain { effects.append($0) }
    }

    /// `handle(_:now:effects:)` into an `EffectList`, which a driver that feeds many inputs
    /// reuses (the simulated fleet's: see `EffectList`).
    public mutating func handle(_ input: Input, now: Timestamp, effects: inout EffectList) {
        switch input {
        case .boot:
            boot(now: now, &effects)
        case .timer(.heartbeat):
            heartbeat(now: now, &effects)
        case .timer(.requestTimeout(let requestID)):
            guard let opID = takeInFlight(requestID) else { return }
            counters.requestTimeouts += 1
            failed(opID, .transient("request timed out"), now: now, &effects)
        case .timer(.retry(let opID)):
            guard let op = operations[opID], op.inFlight == nil else { return }
            send(opID, now: now, &effects)
        case .response(let requestID, let response):
            guard let k = takeInFlightIndex(requestID) else {
                counters.lateResponses += 1
                return
            }
            effects.append(.cancelTimer(.requestTimeout(requestID)))
            answered(at: k, response, now: now, &effects)
        case .channel(let message):
            prefetchWorkState()
            channelMessage(message, now: now, &effects)
        case .channelClosed(let refusal):
            channelClosed(refusal: refusal, now: now, &effects)
        case .timer(.resubscribe):
            subscribe(now: now, &effects)
        case .timer(.channelOpenTimeout):
            channelOpenTimedOut(now: now, &effects)
        case .computeFinished(let chunkID, let attempt, let result):
            prefetchWorkState()
            computed(ChunkKey(chunkID: chunkID, attempt: attempt), result, now: now, &effects)
        }
    }

    mutating func boot(now: Timestamp, _ effects: inout EffectList) {
        guard !booted else { return }
        booted = true
        durable.incarnation += 1
        random = JitterSource(keySeed: durable.keySeed, incarnation: durable.incarnation, hasher: hasher)
        effects.append(.persist(durable))
        if durable.nodeID == nil {
            register(now: now, &effects)
        } else {
            heartbeat(now: now, &effects)
            subscribe(now: now, &effects)
        }
    }

    /// The operation whose request `requestID` is out, which no longer has a request out; nil
    /// if none has (an answer after its timeout, or to a previous life).
    mutating func takeInFlight(_ requestID: UInt64) -> UInt64? {
        takeInFlightIndex(requestID).map { operations.key(at: $0) }
    }

    /// `takeInFlight`, answering the operation's index in `operations` (valid until the table
    /// next changes), so that an answer's handling does not find it again by its id.
    mutating func takeInFlightIndex(_ requestID: UInt64) -> Int? {
        guard let k = operations.firstIndex(where: { $0.inFlight == requestID }) else { return nil }
        operations.update(at: k) { $0.inFlight = nil }
        return k
    }

    /// A fresh id for a request or an operation: the incarnation in the high 24 bits.
    mutating func makeID() -> UInt64 {
        defer { nextSerial += 1 }
        return durable.incarnation << 40 | (nextSerial & 0xFF_FFFF_FFFF)
    }
}
