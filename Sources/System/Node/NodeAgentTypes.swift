/// The node agent's vocabulary: what survives a crash, how it is configured, what it counts,
/// its timers and the work order it hands the compute driver.
extension NodeAgent {
    /// What a node keeps on disk (`config.ini`): everything else is rebuilt after a crash.
    public struct Durable: Sendable, Equatable {
        /// The 32-byte Ed25519 seed: the node's identity. Drawn once, on first run.
        public var keySeed: [UInt8]
        /// Set by the first successful registration.
        public var nodeID: NodeID?
        /// The code the owner types into the portal to claim the node.
        public var claimCode: String?
        /// Boots so far. Request and operation ids are prefixed with it, so an answer or timer
        /// addressed to a previous life can never be mistaken for one of this life.
        public var incarnation: UInt64

        public init(keySeed: [UInt8], nodeID: NodeID? = nil, claimCode: String? = nil, incarnation: UInt64 = 0) {
            precondition(keySeed.count == 32, "a key seed is 32 bytes")
            self.keySeed = keySeed
            self.nodeID = nodeID
            self.claimCode = claimCode
            self.incarnation = incarnation
        }
    }

    public struct Settings: Sendable, Equatable {
        public var name: String
        public var totalCores: Int
        public var maxParallel: Int
        /// `windows`, `linux` or `macos`.
        public var platform: String
        public var version: String
        /// New software signs every request (`X-Node-*`). Today's (old) versions do not: they
        /// send no headers, name themselves by `publicKey` in the body and send no `attempt`.
        public var signsRequests: Bool
        public var heartbeatInterval: Interval
        /// Backoff of every retried operation (completions, registration, fetches).
        public var retryBase: Interval
        public var retryMax: Interval
        /// How long to wait for an answer before counting the request as lost.
        public var requestTimeout: Interval
        /// Parsed configs kept; the oldest one not needed by queued work is dropped beyond it.
        public var configCacheLimit: Int
        /// The simulation's typed wire (`TypedWire.swift`): heartbeats and completions are
        /// handed over as values, not JSON bodies. Off in production and in the catalogue.
        public var typedWire = false

        public init(
            name: String, totalCores: Int, maxParallel: Int, platform: String, version: String,
            signsRequests: Bool, profile: Profile, requestTimeout: Interval = .seconds(10), configCacheLimit: Int = 32
        ) {
            self.name = name
            self.totalCores = totalCores
            self.maxParallel = maxParallel
            self.platform = platform
            self.version = version
            self.signsRequests = signsRequests
            self.heartbeatInterval = profile.heartbeatInterval
            self.retryBase = profile.completionRetryBase
            self.retryMax = profile.completionRetryMax
            self.requestTimeout = requestTimeout
            self.configCacheLimit = configCacheLimit
        }

        /// Chunks run at once: `min(maxParallel, totalCores)`, as the scheduler counts capacity.
        public var workerSlots: Int { Swift.max(0, Swift.min(maxParallel, totalCores)) }
    }

    /// A chunk to compute, with everything needed to run it without further I/O. The driver runs
    /// `DPSModel(config:rotation:).run(seedOffset:iterations:)` (or a stand-in in huge simulated
    /// fleets) and answers `.computeFinished`.
    public struct ComputeOrder: Sendable, Equatable {
        public var assignment: ChunkAssignment
        public var config: SimConfig
        public var rotation: Rotation?

        public init(assignment: ChunkAssignment, config: SimConfig, rotation: Rotation?) {
            self.assignment = assignment
            self.config = config
            self.rotation = rotation
        }
    }

    /// Monotonic counters for metrics and invariants (never reset within a life).
    public struct Counters: Sendable, Equatable {
        public var registrationsSent = 0
        public var registrationsFailed = 0
        /// Registrations started because the server no longer knew the key (cleanup).
        public var reRegistrations = 0
        public var heartbeatsSent = 0
        public var heartbeatsAcknowledged = 0
        /// Includes the expected refusals while the node is unclaimed.
        public var heartbeatsFailed = 0
        public var assignmentsReceived = 0
        public var duplicateAssignments = 0
        public var configFetchesSent = 0
        public var rotationFetchesSent = 0
        /// Fetched configs or rotations that did not verify or parse.
        public var invalidFetches = 0
        /// Chunks dropped unrun because their config or rotation could not be had.
        public var chunksAbandoned = 0
        public var computationsStarted = 0
        public var computationsFinished = 0
        /// `computeFinished` for a chunk the agent is not running (answered by a stale driver).
        public var unexpectedComputeResults = 0
        /// chunk-complete requests sent, first tries and retries.
        public var completionsSent = 0
        /// Results the server took (including `duplicate: true` answers).
        public var completionsAccepted = 0
        /// Of the accepted ones, those the server already had (a retry whose first try landed).
        public var completionsDuplicate = 0
        /// Results given up on after a definitive refusal (stale claim, unknown chunk, ...).
        public var completionsRejected = 0
        /// Retries scheduled, of any operation.
        public var retries = 0
        public var requestTimeouts = 0
        /// Answers that arrived after their request had timed out (ignored).
        public var lateResponses = 0
        /// Assignment channel opens asked for, and confirmed by a `subscribed` message.
        public var subscriptionsOpened = 0
        public var subscriptionsConfirmed = 0
        /// Times the channel closed (dropped, refused, or an open unanswered).
        public var channelLosses = 0
        /// Chunks first learnt of from a `subscribed` list (pushes lost while unsubscribed).
        public var heldChunksRecovered = 0
        /// Channel messages for another node id, or a `subscribed` nobody asked for.
        public var unexpectedChannelMessages = 0

        public init() {}
    }
}

/// The node agent's timers. Setting a timer that is already set re-arms it (replaces it).
public enum NodeTimer: Hashable, Sendable {
    case heartbeat
    /// The request with this id has not been answered in time.
    case requestTimeout(UInt64)
    /// Retry the operation with this id.
    case retry(UInt64)
    /// Open the assignment channel again (after a backoff).
    case resubscribe
    /// The channel's open has not been answered in time.
    case channelOpenTimeout
}

/// A chunk claim as the node knows it: the same chunk under a new attempt is new work.
struct ChunkKey: Hashable, Sendable {
    var chunkID: ChunkID
    var attempt: Int
}
