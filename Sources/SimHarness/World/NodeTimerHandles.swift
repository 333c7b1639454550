import Engine
import JobSystem

/// A node's armed timers by kind, for cancelling or re-arming them: the three singletons in
/// fields of their own, the per-request ones (`requestTimeout`, `retry`: a node has a handful
/// out at once) in a short list searched linearly, its first entry inline. Every effect of a
/// node agent reads or writes it, and a `[NodeTimer: EventHandle]` hashed the timer with
/// SipHash on each access. Looked up by kind, never iterated: entry order never reaches
/// behaviour.
///
/// Why the first keyed entry is inline (`first`): most of the time a node has one request out,
/// its heartbeat, whose timeout is armed and cancelled once per heartbeat. Kept in the node
/// host (which is in one array for the whole fleet), arming and cancelling it touch the host's
/// own cache line instead of a heap block of its own: at 10,000 nodes that block was a cache
/// miss per heartbeat event. Invariant: `first` is empty (`handle == .none`) only when `more`
/// is empty.
struct NodeTimerHandles {
    /// A `requestTimeout` (`isRetry == false`) or `retry` timer by id; `handle == .none`: empty.
    struct Keyed {
        var id: UInt64
        var handle: EventHandle
        var isRetry: Bool

        static var empty: Keyed { Keyed(id: 0, handle: .none, isRetry: false) }
    }

    private var heartbeat = EventHandle.none
    private var first = Keyed.empty
    private var resubscribe = EventHandle.none
    private var channelOpenTimeout = EventHandle.none
    /// The keyed timers after `first`.
    private var more: [Keyed] = []

    subscript(timer: NodeTimer) -> EventHandle? {
        get {
            let h: EventHandle
            switch timer {
            case .heartbeat: h = heartbeat
            case .resubscribe: h = resubscribe
            case .channelOpenTimeout: h = channelOpenTimeout
            case .requestTimeout(let id): h = keyedHandle(false, id)
            case .retry(let id): h = keyedHandle(true, id)
            }
            return h == .none ? nil : h
        }
        set {
            let h = newValue ?? .none
            switch timer {
            case .heartbeat: heartbeat = h
            case .resubscribe: resubscribe = h
            case .channelOpenTimeout: channelOpenTimeout = h
            case .requestTimeout(let id): setKeyed(false, id, h)
            case .retry(let id): setKeyed(true, id, h)
            }
        }
    }

    /// Request `id`'s timeout if it is the inline entry (the usual case, the heartbeat's),
    /// else `.none`: for a prefetch hint (`World.nodeReceive`), which need not search `more`.
    /// Inlined, it reads two fields of the host in place (the subscript's getter is a call,
    /// with the handles copied to it).
    @inline(__always) func inlineRequestTimeout(_ id: UInt64) -> EventHandle {
        Self.matches(first, false, id) ? first.handle : .none
    }

    /// Forgets the timer and returns its handle, if it was armed.
    mutating func removeValue(forKey timer: NodeTimer) -> EventHandle? {
        let h = self[timer]
        if h != nil { self[timer] = nil }
        return h
    }

    /// Forgets every timer (a restarted node's). `more`'s block goes too (`dropMoreIfEmpty`).
    mutating func removeAll() {
        heartbeat = .none
        resubscribe = .none
        channelOpenTimeout = .none
        first = .empty
        more = []
    }

    /// The room `more` holds on the heap (for tests: zero whenever it is empty).
    var overflowCapacity: Int { more.capacity }
    /// The keyed timers past `first` (for tests).
    var overflowCount: Int { more.count }

    /// Replaces an emptied `more` by the shared empty array. Why: a node that once had two
    /// requests out at once kept the array's block, and every later lookup of a request's
    /// timeout that is not `first` read its count there (`keyedHandle`): at 10,000 nodes a
    /// cache miss per heartbeat answer, 0.45 % of a fleet run's samples. The shared empty
    /// array's count is always in cache; the block comes back when two requests overlap again.
    @inline(__always)
    private mutating func dropMoreIfEmpty() {
        if more.isEmpty, more.capacity > 0 { more = [] }
    }

    /// Whether `k` is the keyed timer (`isRetry`, `id`) (an empty entry is no timer).
    private static func matches(_ k: Keyed, _ isRetry: Bool, _ id: UInt64) -> Bool {
        k.id == id && k.isRetry == isRetry && k.handle != .none
    }

    private func keyedHandle(_ isRetry: Bool, _ id: UInt64) -> EventHandle {
        if Self.matches(first, isRetry, id) { return first.handle }
        if more.isEmpty { return .none }
        return more.first { Self.matches($0, isRetry, id) }?.handle ?? .none
    }

    private mutating func setKeyed(_ isRetry: Bool, _ id: UInt64, _ h: EventHandle) {
        if Self.matches(first, isRetry, id) {
            // Emptied, the last of the others takes its place.
            if h != .none {
                first = Keyed(id: id, handle: h, isRetry: isRetry)
            } else if more.isEmpty {
                first = .empty  // the usual case: the shared empty array's count, nothing more
            } else {
                first = more.removeLast()
                dropMoreIfEmpty()
            }
        } else if let i = more.firstIndex(where: { Self.matches($0, isRetry, id) }) {
            if h == .none {
                more.swapAt(i, more.count - 1)
                more.removeLast()
                dropMoreIfEmpty()
            } else {
                more[i].handle = h
            }
        } else if h != .none {
            if first.handle == .none {
                first = Keyed(id: id, handle: h, isRetry: isRetry)
            } else {
                more.append(Keyed(id: id, handle: h, isRetry: isRetry))
            }
        }
    }
}
