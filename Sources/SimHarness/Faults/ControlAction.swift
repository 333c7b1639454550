import Engine
import JobSystem

/// What a scenario does to a running world at a scheduled instant: faults where real ones
/// occur, and workload steps. Delivered to the actor it concerns (or the environment actor for
/// world-wide actions) whatever that actor's state, so a crashed actor can be restarted.
public enum ControlAction: Sendable, Equatable, CustomStringConvertible {
    /// Crash the target actor: volatile state, timers and incoming messages lost.
    case crash
    /// Restart the target actor from its durable state.
    case restart
    /// The target node stays alive and heartbeats but stops computing (a hung worker pool).
    case hang
    case unhang
    /// Step the target's clock, or set its drift (parts per billion).
    case clockStep(SimDuration)
    case clockDrift(ppb: Int64)
    /// Cut the named groups apart (both directions unless one-way); `heal` undoes one partition
    /// by its label, `healAll` every one.
    case partition(label: String, from: [Target], to: [Target], oneWay: Bool)
    case heal(label: String)
    case healAll
    /// Change the default link (loss, duplication, reordering, latency) from now on.
    case setLink(LinkModel)
    /// Store faults: statements answered late by this much, and notifications dropped with
    /// this probability, until changed.
    case storeSlowness(SimDuration)
    case dropNotifications(probability: Double)
    /// Close every client connection of the store (sessions and listeners, the API server's
    /// included: its transactions in flight roll back) without a restart.
    case dropStoreConnections
    /// Each API transaction loses its database connection mid-handler with this probability
    /// (rolled back, answered 503 `store_error`), until changed.
    case loseTransactions(probability: Double)
    /// Close the target sentinel's connection only: its LISTEN is gone (notifications sent
    /// until it listens again are lost) and it must connect again.
    case dropConnection
    /// Start a second sentinel, or stop one (a blue/green deploy).
    case startSentinel
    case stopSentinel
    /// Upgrade the target node to a software version (rolling upgrade), restarting it.
    case upgradeNode(version: String)
    /// A guild membership event, delivered to every sentinel.
    case guild(GuildEvent)
    /// An attacker sends a forged, replayed or unsigned request (see `Attack`).
    case attack(Attack)

    public var description: String {
        switch self {
        case .crash: return "crash"
        case .restart: return "restart"
        case .hang: return "hang"
        case .unhang: return "unhang"
        case .clockStep(let d): return "clock_step(\(d))"
        case .clockDrift(let p): return "clock_drift(\(p)ppb)"
        case .partition(let l, let f, let t, let o): return "partition(\(l),\(f.count)->\(t.count),oneWay:\(o))"
        case .heal(let l): return "heal(\(l))"
        case .healAll: return "heal_all"
        case .setLink(let m): return "set_link(\(m))"
        case .storeSlowness(let d): return "store_slowness(\(d))"
        case .dropNotifications(let p): return "drop_notifications(\(p))"
        case .dropStoreConnections: return "drop_store_connections"
        case .loseTransactions(let p): return "lose_transactions(\(p))"
        case .dropConnection: return "drop_connection"
        case .startSentinel: return "start_sentinel"
        case .stopSentinel: return "stop_sentinel"
        case .upgradeNode(let v): return "upgrade_node(\(v))"
        case .guild(let e): return "guild(\(e))"
        case .attack(let a): return "attack(\(a))"
        }
    }
}

extension ControlAction {
    /// Whether this action means anything for `target`. A plan refuses the other pairs when it
    /// is built (`RunPlan.schedule`), so a fault sent to the wrong target (a hang on the store)
    /// cannot silently do nothing.
    public func accepts(_ target: Target) -> Bool {
        switch self {
        case .crash, .restart, .clockStep, .clockDrift:
            switch target {
            case .store, .apiServer, .sentinel, .node: return true
            case .environment: return false
            }
        case .hang, .unhang, .upgradeNode:
            if case .node = target { return true }
            return false
        case .dropConnection:
            if case .sentinel = target { return true }
            return false
        case .storeSlowness, .dropNotifications, .dropStoreConnections, .loseTransactions:
            return target == .store
        case .partition, .heal, .healAll, .setLink, .startSentinel, .stopSentinel, .attack:
            return target == .environment
        case .guild:
            switch target {
            case .environment, .sentinel: return true
            case .store, .apiServer, .node: return false
            }
        }
    }

    /// The actions that undo a fault rather than inject one (reports close bands with them).
    public var isRecovery: Bool {
        switch self {
        case .restart, .unhang, .heal, .healAll: return true
        case .storeSlowness(let d): return d == .zero
        case .dropNotifications(let p): return p == 0
        case .loseTransactions(let p): return p == 0
        case .crash, .hang, .clockStep, .clockDrift, .partition, .setLink, .dropStoreConnections, .dropConnection,
            .startSentinel, .stopSentinel, .upgradeNode, .guild, .attack:
            return false
        }
    }
}

/// Requests an attacker sends to the store's API, to show that the fixed profile rejects them
/// and today's accepts them.
public enum Attack: String, Sendable, Equatable, CaseIterable {
    /// A chunk-complete with a bogus result, signed with a key that is not the node's.
    case forgedCompletion = "forged-completion"
    /// A captured signed heartbeat sent again within the signature window: it would keep a
    /// dead node looking online.
    case replayedHeartbeat = "replayed-heartbeat"
    /// A chunk-complete with no signature at all, naming a node in its body (today's nodes).
    case unsignedCompletion = "unsigned-completion"
    // The intruder's ways in (`intruder` scenario). A request below is correctly signed unless
    // it says otherwise, with a registered node's key where it needs one (a stolen key, or a
    // node whose clock is wrong): only the guard it names stands between it and the store.
    /// A heartbeat signed more than the signature window ago.
    case staleTimestamp = "stale-timestamp"
    /// A heartbeat signed more than the signature window ahead.
    case futureTimestamp = "future-timestamp"
    /// Correctly signed by a key no node registered, on each node route.
    case unknownKeyHeartbeat = "unknown-key-heartbeat"
    case unknownKeyCompletion = "unknown-key-completion"
    case unknownKeyConfigFetch = "unknown-key-config-fetch"
    case unknownKeyRotationFetch = "unknown-key-rotation-fetch"
    /// A node's signed heartbeat whose body was changed after signing (the signed digest is
    /// another body's).
    case tamperedBody = "tampered-body"
    /// A completion, signed by a registered node, of a chunk another node holds (right attempt,
    /// a result that fits the chunk).
    case completionNotHeld = "completion-not-held"
    /// A completion signed by the chunk's holder with an attempt number that is not its claim's.
    case wrongAttempt = "wrong-attempt"
    /// A completion of a completed chunk, signed by a registered node that did not complete it,
    /// with the attempt that did (a re-send is a duplicate only from its completer).
    case completedByAnother = "completed-by-another"
    /// A completion of a completed chunk signed by its completer with another attempt.
    case completedOtherAttempt = "completed-other-attempt"

    /// The attacks of the first catalogue (the swarm draws these, so its seeds keep their runs).
    public static let classic: [Attack] = [.forgedCompletion, .replayedHeartbeat, .unsignedCompletion]
    /// The intruder's.
    public static let intrusions: [Attack] = allCases.filter { !classic.contains($0) }
}
