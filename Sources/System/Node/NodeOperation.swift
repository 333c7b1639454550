/// The node's internal bookkeeping types: one operation per thing it is trying to get done
/// (possibly over several requests), the state of each config it needs, and a bounded memory
/// of finished claims.

/// Something the node is trying to get done with the server, over as many requests as it takes.
///
/// `Kind` is `indirect`: its payloads (a completion carries its whole result) live in a box, so
/// an `Operation` is 33 bytes, not 144. Every node keeps a table of them (its heartbeat's at
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
    /// The timestamp (unix seconds) the last request of this operation was signed with,
    /// `Int64.min` before the first. A retry is signed strictly later (`lastSignedSecond &+ 1`
    /// at the earliest: the first request is signed at the clock's second), so it is never the
    /// same message as an attempt that may already have reached the server (Ed25519 is
    /// deterministic: same second, same body, same signature), and the server's replay guard
    /// can never refuse the node's own retry. Not an optional: `Int64.min` is what nil stood
    /// for in that sum, and an optional took 8 bytes more.
    var lastSignedSecond: Int64 = .min
    /// The outstanding request, if one is out: the agent finds the operation an answer or a
    /// timeout belongs to by this id (an operation has at most one request out).
    var inFlight: UInt64?

    init(_ kind: Kind) { self.kind = kind }

    /// Whether it is a heartbeat (read without binding, so without copying, the kind).
    var isHeartbeat: Bool {
        if case .heartbeat = kind { return true }
        return false
    }
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

    /// Asks for the lines `contains` and `insert` read first: the insertion order's header and
    /// first keys (most nodes' keys are in its first four lines) and the hashed set's header
    /// (the shared empty set's while the order alone answers). Without reading the count,
    /// which is in the cold block itself. Nothing is read: it changes nothing but timing.
    @inline(__always)
    func prefetch() {
        prefetchStorage(of: order, lines: 4)
        prefetchStorage(of: members, lines: 1)
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

/// A map from the node's own ids (its operations) to values, for the handful of entries a node
/// has at once (a heartbeat, its slots' completions, perhaps a fetch), searched linearly: at
/// that size a scan of a few ids is cheaper than hashing the key (a `Dictionary` hashes on every
/// access, and its optional-yielding subscript moves the whole value out and back to change one
/// field), and a value is changed in place through its index (`self[valueAt:]`).
///
/// The first entry is stored inline (`head`), the rest in an array (`rest`): most of the time a
/// node has one operation, its heartbeat, and a simulated fleet's node agents are inline in its
/// node hosts, so a heartbeat reads and writes its operation on the host's own cache lines
/// instead of a heap block of its own (a cache miss per node event at 10,000 nodes, and the
/// block's header and malloc's overhead per node).
///
/// Invariant: `head` is nil only when `rest` is empty. Index 0 is `head`, index `k > 0` is
/// `rest[k - 1]`. Lookups only: the order of entries (a removal moves the last one into the
/// hole) never reaches behaviour, as a dictionary's order must not either.
struct IDTable<Value: Sendable>: Sendable {
    struct Entry: Sendable {
        var key: UInt64
        var value: Value
    }

    private var head: Entry?
    private var rest: [Entry] = []

    init() {}

    var count: Int { head == nil ? 0 : 1 + rest.count }
    /// The room the entries after the inline one hold on the heap (for tests: zero whenever
    /// there are none).
    var overflowCapacity: Int { rest.capacity }

    /// The values, in no meaningful order (for counting; a copy).
    var values: [Value] {
        guard let head else { return [] }
        return [head.value] + rest.map(\.value)
    }

    func index(of key: UInt64) -> Int? {
        guard let head else { return nil }
        if head.key == key { return 0 }
        return rest.withUnsafeBufferPointer { e in
            for i in e.indices where e[i].key == key { return i + 1 }
            return nil
        }
    }

    /// The index of the first entry (in storage order) whose value satisfies `predicate`.
    func firstIndex(where predicate: (Value) -> Bool) -> Int? {
        guard let head else { return nil }
        if predicate(head.value) { return 0 }
        return rest.withUnsafeBufferPointer { e in
            for i in e.indices where predicate(e[i].value) { return i + 1 }
            return nil
        }
    }

    /// The key of the entry at `index`.
    func key(at index: Int) -> UInt64 { index == 0 ? head!.key : rest[index - 1].key }

    /// `body`'s answer about the value at `index(of:)`'s answer, read where it lies. Why not
    /// `self[valueAt:]`: the getter copies the value out (an `Operation`'s kind through its
    /// outlined copy and consume, about 60 instructions), to read one field of it.
    @inline(__always)
    func withValue<R>(at index: Int, _ body: (borrowing Value) -> R) -> R {
        if index == 0 { return body(head!.value) }
        precondition(index > 0 && index - 1 < rest.count, "IDTable index out of range")
        return rest.withUnsafeBufferPointer { body($0[index - 1].value) }
    }

    /// The value at `index(of:)`'s answer (changed in place with `update(at:_:)`).
    subscript(valueAt index: Int) -> Value {
        get { index == 0 ? head!.value : rest[index - 1].value }
        set { update(at: index) { $0 = newValue } }
    }

    /// Changes the value at `index(of:)`'s answer in place. A closure, not a `_modify`
    /// accessor: the accessor's coroutine, with a yield in each branch, was not inlined, and
    /// its frame (holding the inline entry) was allocated on the heap at every call.
    @inline(__always)
    mutating func update<R>(at index: Int, _ body: (inout Value) -> R) -> R {
        index == 0 ? body(&head!.value) : body(&rest[index - 1].value)
    }

    subscript(key: UInt64) -> Value? {
        get { index(of: key).map { self[valueAt: $0] } }
        set {
            if let i = index(of: key) {
                if let newValue { update(at: i) { $0 = newValue } } else { remove(at: i) }
            } else if let newValue {
                if head == nil {
                    head = Entry(key: key, value: newValue)
                } else {
                    rest.append(Entry(key: key, value: newValue))
                }
            }
        }
    }

    @discardableResult
    mutating func removeValue(forKey key: UInt64) -> Value? {
        guard let i = index(of: key) else { return nil }
        let value = self[valueAt: i]
        remove(at: i)
        return value
    }

    /// Removes the entry at `i`: the last entry takes its place. The overflow gives its heap
    /// block back when its last entry leaves (`dropOverflowIfEmpty`).
    mutating func remove(at i: Int) {
        if i == 0, rest.isEmpty {
            head = nil  // the usual case (a heartbeat's answer): nothing else to move
            return
        }
        if i == 0 {
            head = rest.removeLast()
        } else {
            rest.swapAt(i - 1, rest.count - 1)
            rest.removeLast()
        }
        dropOverflowIfEmpty()
    }

    /// Replaces an emptied overflow by the shared empty array. Why: a node that once had two
    /// operations at once (a fetch or a completion beside its heartbeat) kept the overflow's
    /// block, and every heartbeat after that read its count there (`remove(at: 0)`'s
    /// `popLast`, the scans): at 10,000 nodes a cache miss per heartbeat answer, 0.56 % of a
    /// fleet run's samples in `remove(at:)` alone. The shared empty array's count is always in
    /// cache. The block is allocated again only when two operations overlap again.
    @inline(__always)
    private mutating func dropOverflowIfEmpty() {
        if rest.isEmpty, rest.capacity > 0 { rest = [] }
    }
}
