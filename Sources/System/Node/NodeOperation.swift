/// The node's internal bookkeeping types: one operation per thing it is trying to get done
/// (possibly over several requests), the state of each config it needs, and a bounded memory
/// of finished claims.

/// Something the node is trying to get done with the server, over as many requests as it takes.
struct Operation: Sendable {
    enum Kind: Sendable {
        case register
        /// Not retried: the next heartbeat is the retry.
        case heartbeat
        case fetchConfig(ConfigHash)
        case fetchRotation(id: String, forConfig: ConfigHash)
        case complete(ChunkKey, ChunkResult)
    }

    var kind: Kind
    /// Consecutive failures so far (drives the backoff).
    var failures = 0
    /// The outstanding request, if one is out.
    var inFlight: UInt64?
    /// The timestamp (unix seconds) the last request of this operation was signed with. A
    /// retry is signed strictly later, so it is never the same message as an attempt that may
    /// already have reached the server (Ed25519 is deterministic: same second, same body, same
    /// signature), and the server's replay guard can never refuse the node's own retry.
    var lastSignedSecond: Int64?

    init(_ kind: Kind) { self.kind = kind }
}

/// Where the node stands on one config hash.
enum ConfigState: Sendable {
    case fetchingConfig
    case fetchingRotation(SimConfig)
    case ready(SimConfig, Rotation?)

    var isReady: Bool {
        if case .ready = self { return true }
        return false
    }
}

/// A set that remembers only its latest `capacity` insertions (at least), so memory stays
/// bounded on a node that runs for months. Membership only; never iterated.
struct RecentSet<Element: Hashable & Sendable>: Sendable {
    private var members: Set<Element> = []
    private var order: [Element] = []
    let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    func contains(_ element: Element) -> Bool { members.contains(element) }

    mutating func insert(_ element: Element) {
        guard members.insert(element).inserted else { return }
        order.append(element)
        if order.count >= 2 * capacity {
            // Drop the older half at once: amortized O(1) per insertion.
            for old in order[..<capacity] { members.remove(old) }
            order.removeFirst(capacity)
        }
    }
}
