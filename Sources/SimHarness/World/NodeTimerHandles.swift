import Engine
import JobSystem

/// A node's armed timers by kind, for cancelling or re-arming them: the three singletons in
/// fields of their own, the per-request ones (`requestTimeout`, `retry`: a node has a handful
/// out at once) in a short array searched linearly. Every effect of a node agent reads or
/// writes it, and a `[NodeTimer: EventHandle]` hashed the timer with SipHash on each access.
/// Looked up by kind, never iterated: entry order never reaches behaviour.
struct NodeTimerHandles {
    private var heartbeat = EventHandle.none
    private var resubscribe = EventHandle.none
    private var channelOpenTimeout = EventHandle.none
    /// `requestTimeout` (`isRetry == false`) and `retry` timers by id.
    private var keyed: [(isRetry: Bool, id: UInt64, handle: EventHandle)] = []

    subscript(timer: NodeTimer) -> EventHandle? {
        get {
            let h: EventHandle
            switch timer {
            case .heartbeat: h = heartbeat
            case .resubscribe: h = resubscribe
            case .channelOpenTimeout: h = channelOpenTimeout
            case .requestTimeout(let id): h = keyedIndex(false, id).map { keyed[$0].handle } ?? .none
            case .retry(let id): h = keyedIndex(true, id).map { keyed[$0].handle } ?? .none
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

    /// Forgets the timer and returns its handle, if it was armed.
    mutating func removeValue(forKey timer: NodeTimer) -> EventHandle? {
        let h = self[timer]
        if h != nil { self[timer] = nil }
        return h
    }

    mutating func removeAll(keepingCapacity: Bool) {
        heartbeat = .none
        resubscribe = .none
        channelOpenTimeout = .none
        keyed.removeAll(keepingCapacity: keepingCapacity)
    }

    private func keyedIndex(_ isRetry: Bool, _ id: UInt64) -> Int? {
        keyed.firstIndex { $0.id == id && $0.isRetry == isRetry }
    }

    private mutating func setKeyed(_ isRetry: Bool, _ id: UInt64, _ h: EventHandle) {
        if let i = keyedIndex(isRetry, id) {
            if h == .none {
                keyed.swapAt(i, keyed.count - 1)
                keyed.removeLast()
            } else {
                keyed[i].handle = h
            }
        } else if h != .none {
            keyed.append((isRetry, id, h))
        }
    }
}
