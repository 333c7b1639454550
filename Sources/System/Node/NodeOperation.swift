/// The node's internal bookkeeping types: one operation per thing it is trying to get done
/// (possibly over several requests), the state of each config it needs, and a bounded memory
/// of finished claims.

/// Something the node is trying to get done with the server, over as many requests as it takes.
///
/// `Kind` is `indirect`: its payloads (a completion carries its whole result) live in a box, so
/// an `Operation` is 48 bytes, not 144. Every node keeps a table of them (its heartbeat's at
/// least), and at 10,000 nodes those tables took 1.58 MB; a box is allocated only for an
/// operation that carries a payload (a completion, a fetch), not for heartbeats.
struct Operation: Sendable {
    indirect enum Kind: Sendable {
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
///
/// While it holds at most `linearLimit` elements (most nodes, most of the time: a node finishes
/// a few chunks per job) the insertion-order array alone answers, by a linear scan; the hashed
/// set is built only beyond that. The limit is 64: at 16, a quarter of a 10,000-node fleet's
/// nodes built a set (about 1.5 KB each, 3.8 MB in all) for a handful more keys, where a scan
/// of 64 keys costs about what one hashed lookup does. Invariant: `members` is empty while `order.count <=
/// linearLimit`, and equals the elements of `order` otherwise; `order` never repeats an element.
struct RecentSet<Element: Hashable & Sendable>: Sendable {
    private var members: Set<Element> = []
    private var order: [Element] = []
    let capacity: Int
    static var linearLimit: Int { 64 }

    init(capacity: Int) { self.capacity = capacity }

    func contains(_ element: Element) -> Bool {
        order.count <= Self.linearLimit ? order.contains(element) : members.contains(element)
    }

    mutating func insert(_ element: Element) {
        guard !contains(element) else { return }
        // Up to `linearLimit`, grown four slots at a time, not doubled: most nodes keep ten or
        // so keys, and a doubled array's slack was about a third of its bytes (3.67 MB of order
        // arrays at 10,000 nodes). Copying at most 64 keys per growth costs nothing measurable.
        if order.count == order.capacity, order.count < Self.linearLimit {
            order.reserveCapacity(order.count + 4)
        }
        order.append(element)
        if order.count == Self.linearLimit + 1 {
            members = Set(order)
        } else if order.count > Self.linearLimit + 1 {
            members.insert(element)
        }
        if order.count >= 2 * capacity {
            // Drop the older half at once: amortized O(1) per insertion.
            for old in order[..<capacity] { members.remove(old) }
            order.removeFirst(capacity)
            if order.count <= Self.linearLimit { members = [] }
        }
    }
}

/// A map from the node's own ids (operations, requests) to values, for the handful of entries
/// a node has at once (a heartbeat, its slots' completions, perhaps a fetch): one array of
/// (id, value) entries searched linearly. At that size a scan of a few ids is cheaper than
/// hashing the key (a `Dictionary` hashes on every access, and its optional-yielding subscript
/// moves the whole value out and back to change one field), and a value is changed in place
/// through its index (`self[valueAt:]`). One array, not parallel arrays of ids and values: a
/// node agent has two tables, and each array is a heap block with its header (0.6 MB at 10,000
/// simulated nodes). Lookups only: the order of entries (a removal moves the last one into the
/// hole) never reaches behaviour, as a dictionary's order must not either.
struct IDTable<Value: Sendable>: Sendable {
    struct Entry: Sendable {
        var key: UInt64
        var value: Value
    }

    private var entries: [Entry] = []

    var count: Int { entries.count }

    /// The values, in no meaningful order (for counting; a copy).
    var values: [Value] { entries.map(\.value) }

    func index(of key: UInt64) -> Int? {
        entries.withUnsafeBufferPointer { e in
            for i in e.indices where e[i].key == key { return i }
            return nil
        }
    }

    /// The value at `index(of:)`'s answer, read or changed in place.
    subscript(valueAt index: Int) -> Value {
        get { entries[index].value }
        _modify { yield &entries[index].value }
    }

    subscript(key: UInt64) -> Value? {
        get { index(of: key).map { entries[$0].value } }
        set {
            if let i = index(of: key) {
                if let newValue { entries[i].value = newValue } else { remove(at: i) }
            } else if let newValue {
                entries.append(Entry(key: key, value: newValue))
            }
        }
    }

    @discardableResult
    mutating func removeValue(forKey key: UInt64) -> Value? {
        guard let i = index(of: key) else { return nil }
        let value = entries[i].value
        remove(at: i)
        return value
    }

    private mutating func remove(at i: Int) {
        entries.swapAt(i, entries.count - 1)
        entries.removeLast()
    }
}
