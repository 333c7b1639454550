/// The node agent's vocabulary: what survives a crash, how it is configured, what it counts,
/// its timers and the work order it hands the compute driver.
extension NodeAgent {
    /// What a node keeps on disk (`config.ini`): everything else is rebuilt after a crash.
    public struct Durable: Sendable, Equatable {
        // The two fields every request reads first (an agent's durable state is on its node
        // host's hot cache lines in a simulated fleet: see `NodeAgent`'s stored properties).

        /// Set by the first successful registration.
        public var nodeID: NodeID?
        /// Boots so far. Request and operation ids are prefixed with it, so an answer or timer
        /// addressed to a previous life can never be mistaken for one of this life.
        public var incarnation: UInt64
        /// The 32-byte Ed25519 seed: the node's identity. Drawn once, on first run.
        public var keySeed: [UInt8]
        /// The code the owner types into the portal to claim the node.
        public var claimCode: String?

        public init(keySeed: [UInt8], nodeID: NodeID? = nil, claimCode: String? = nil, incarnation: UInt64 = 0) {
            precondition(keySeed.count == 32, "a key seed is 32 bytes")
            self.keySeed = keySeed
            self.nodeID = nodeID
            self.claimCode = claimCode
            self.incarnation = incarnation
        }
    }

    public struct Settings: Sendable, Equatable {
        // What every heartbeat reads first (the flags side by side, then the two intervals).

        /// New software signs every request (`X-Node-*`). Today's (old) versions do not: they
        /// send no headers, name themselves by `publicKey` in the body and send no `attempt`.
        public var signsRequests: Bool
        /// The simulation's typed wire (`TypedWire.swift`): heartbeats and completions are
        /// handed over as values, not JSON bodies. Off in production and in the catalogue.
        public var typedWire = false
        public var heartbeatInterval: Interval
        /// How long to wait for an answer before counting the request as lost.
        public var requestTimeout: Interval
        /// Backoff of every retried operation (completions, registration, fetches).
        public var retryBase: Interval
        public var retryMax: Interval
        /// Parsed configs kept; the oldest one not needed by queued work is dropped beyond it.
        public var configCacheLimit: Int
        public var totalCores: Int
        public var maxParallel: Int
        public var name: String
        /// `windows`, `linux` or `macos`.
        public var platform: String
        public var version: String

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
    ///
    /// Read and written as `Int`, stored as `UInt32`: a node agent is inline in every simulated
    /// node host, and 27 counters at 8 bytes were a quarter of it (216 of 928 bytes, 2.2 MB at
    /// 10,000 nodes). A counter wraps to zero past 2^32 - 1 (a reset, to a Prometheus reader),
    /// which one event per second reaches after 136 years.
    public struct Counters: Sendable, Equatable {
        public var registrationsSent: Int {
            get { Int(_registrationsSent) }
            set { _registrationsSent = UInt32(truncatingIfNeeded: newValue) }
        }
        public var registrationsFailed: Int {
            get { Int(_registrationsFailed) }
            set { _registrationsFailed = UInt32(truncatingIfNeeded: newValue) }
        }
        /// Registrations started because the server no longer knew the key (cleanup).
        public var reRegistrations: Int {
            get { Int(_reRegistrations) }
            set { _reRegistrations = UInt32(truncatingIfNeeded: newValue) }
        }
        public var heartbeatsSent: Int {
            get { Int(_heartbeatsSent) }
            set { _heartbeatsSent = UInt32(truncatingIfNeeded: newValue) }
        }
        public var heartbeatsAcknowledged: Int {
            get { Int(_heartbeatsAcknowledged) }
            set { _heartbeatsAcknowledged = UInt32(truncatingIfNeeded: newValue) }
        }
        /// Includes the expected refusals while the node is unclaimed.
        public var heartbeatsFailed: Int {
            get { Int(_heartbeatsFailed) }
            set { _heartbeatsFailed = UInt32(truncatingIfNeeded: newValue) }
        }
        public var assignmentsReceived: Int {
            get { Int(_assignmentsReceived) }
            set { _assignmentsReceived = UInt32(truncatingIfNeeded: newValue) }
        }
        public var duplicateAssignments: Int {
            get { Int(_duplicateAssignments) }
            set { _duplicateAssignments = UInt32(truncatingIfNeeded: newValue) }
        }
        public var configFetchesSent: Int {
            get { Int(_configFetchesSent) }
            set { _configFetchesSent = UInt32(truncatingIfNeeded: newValue) }
        }
        public var rotationFetchesSent: Int {
            get { Int(_rotationFetchesSent) }
            set { _rotationFetchesSent = UInt32(truncatingIfNeeded: newValue) }
        }
        /// Fetched configs or rotations that did not verify or parse.
        public var invalidFetches: Int {
            get { Int(_invalidFetches) }
            set { _invalidFetches = UInt32(truncatingIfNeeded: newValue) }
        }
        /// Chunks dropped unrun because their config or rotation could not be had.
        public var chunksAbandoned: Int {
            get { Int(_chunksAbandoned) }
            set { _chunksAbandoned = UInt32(truncatingIfNeeded: newValue) }
        }
        public var computationsStarted: Int {
            get { Int(_computationsStarted) }
            set { _computationsStarted = UInt32(truncatingIfNeeded: newValue) }
        }
        public var computationsFinished: Int {
            get { Int(_computationsFinished) }
            set { _computationsFinished = UInt32(truncatingIfNeeded: newValue) }
        }
        /// `computeFinished` for a chunk the agent is not running (answered by a stale driver).
        public var unexpectedComputeResults: Int {
            get { Int(_unexpectedComputeResults) }
            set { _unexpectedComputeResults = UInt32(truncatingIfNeeded: newValue) }
        }
        /// chunk-complete requests sent, first tries and retries.
        public var completionsSent: Int {
            get { Int(_completionsSent) }
            set { _completionsSent = UInt32(truncatingIfNeeded: newValue) }
        }
        /// Results the server took (including `duplicate: true` answers).
        public var completionsAccepted: Int {
            get { Int(_completionsAccepted) }
            set { _completionsAccepted = UInt32(truncatingIfNeeded: newValue) }
        }
        /// Of the accepted ones, those the server already had (a retry whose first try landed).
        public var completionsDuplicate: Int {
            get { Int(_completionsDuplicate) }
            set { _completionsDuplicate = UInt32(truncatingIfNeeded: newValue) }
        }
        /// Results given up on after a definitive refusal (stale claim, unknown chunk, ...).
        public var completionsRejected: Int {
            get { Int(_completionsRejected) }
            set { _completionsRejected = UInt32(truncatingIfNeeded: newValue) }
        }
        /// Retries scheduled, of any operation.
        public var retries: Int {
            get { Int(_retries) }
            set { _retries = UInt32(truncatingIfNeeded: newValue) }
        }
        public var requestTimeouts: Int {
            get { Int(_requestTimeouts) }
            set { _requestTimeouts = UInt32(truncatingIfNeeded: newValue) }
        }
        /// Answers that arrived after their request had timed out (ignored).
        public var lateResponses: Int {
            get { Int(_lateResponses) }
            set { _lateResponses = UInt32(truncatingIfNeeded: newValue) }
        }
        /// Assignment channel opens asked for, and confirmed by a `subscribed` message.
        public var subscriptionsOpened: Int {
            get { Int(_subscriptionsOpened) }
            set { _subscriptionsOpened = UInt32(truncatingIfNeeded: newValue) }
        }
        public var subscriptionsConfirmed: Int {
            get { Int(_subscriptionsConfirmed) }
            set { _subscriptionsConfirmed = UInt32(truncatingIfNeeded: newValue) }
        }
        /// Times the channel closed (dropped, refused, or an open unanswered).
        public var channelLosses: Int {
            get { Int(_channelLosses) }
            set { _channelLosses = UInt32(truncatingIfNeeded: newValue) }
        }
        /// Chunks first learnt of from a `subscribed` list (pushes lost while unsubscribed).
        public var heldChunksRecovered: Int {
            get { Int(_heldChunksRecovered) }
            set { _heldChunksRecovered = UInt32(truncatingIfNeeded: newValue) }
        }
        /// Channel messages for another node id, or a `subscribed` nobody asked for.
        public var unexpectedChannelMessages: Int {
            get { Int(_unexpectedChannelMessages) }
            set { _unexpectedChannelMessages = UInt32(truncatingIfNeeded: newValue) }
        }

        // Storage in the order a heartbeat and its answer touch them first (one cache line).
        private var _heartbeatsSent: UInt32 = 0
        private var _heartbeatsAcknowledged: UInt32 = 0
        private var _heldChunksRecovered: UInt32 = 0
        private var _heartbeatsFailed: UInt32 = 0
        private var _requestTimeouts: UInt32 = 0
        private var _lateResponses: UInt32 = 0
        private var _registrationsSent: UInt32 = 0
        private var _registrationsFailed: UInt32 = 0
        private var _reRegistrations: UInt32 = 0
        private var _assignmentsReceived: UInt32 = 0
        private var _duplicateAssignments: UInt32 = 0
        private var _configFetchesSent: UInt32 = 0
        private var _rotationFetchesSent: UInt32 = 0
        private var _invalidFetches: UInt32 = 0
        private var _chunksAbandoned: UInt32 = 0
        private var _computationsStarted: UInt32 = 0
        private var _computationsFinished: UInt32 = 0
        private var _unexpectedComputeResults: UInt32 = 0
        private var _completionsSent: UInt32 = 0
        private var _completionsAccepted: UInt32 = 0
        private var _completionsDuplicate: UInt32 = 0
        private var _completionsRejected: UInt32 = 0
        private var _retries: UInt32 = 0
        private var _subscriptionsOpened: UInt32 = 0
        private var _subscriptionsConfirmed: UInt32 = 0
        private var _channelLosses: UInt32 = 0
        private var _unexpectedChannelMessages: UInt32 = 0

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
