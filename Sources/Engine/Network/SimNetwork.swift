/// A named set of actors that partitions are declared between (up to 64 groups).
public struct GroupID: Hashable, Sendable {
    public let bit: UInt8
}

/// A handle to an active partition, used to heal it.
public struct PartitionID: Hashable, Sendable {
    public let raw: UInt32
}

/// What the network decided for one message.
public enum Routing: Equatable, Sendable {
    case lost
    case partitioned
    /// Deliver after `first`, and a duplicate after `second` if present.
    case deliver(first: SimDuration, second: SimDuration?)
}

/// Counters of what the network did, for assertions and reports.
public struct NetworkStats: Sendable, Equatable {
    public var sent = 0
    public var lost = 0
    public var partitioned = 0
    public var duplicated = 0
    public var reordered = 0
    public var deliveredToDownActor = 0
    public var delivered = 0
}

/// The simulated network: per-link models, partitions between groups, and the decisions for
/// each message. Partitions are checked when a message is sent (messages already in flight
/// still arrive, as packets already past a switch do); a crashed receiver is checked by the
/// simulation when a message arrives.
public struct SimNetwork: Sendable {
    public var defaultLink: LinkModel = .standard
    /// Per-direction overrides, looked up only (never iterated), keyed by (from, to).
    @usableFromInline var linkOverrides: [UInt64: LinkModel] = [:]
    /// Bit g set when the actor belongs to group g.
    @usableFromInline var membership: [UInt64] = []
    var groupCount: UInt8 = 0
    @usableFromInline struct Rule: Sendable {
        @usableFromInline let id: UInt32
        @usableFromInline let fromMask: UInt64
        @usableFromInline let toMask: UInt64
        @usableFromInline init(id: UInt32, fromMask: UInt64, toMask: UInt64) {
            self.id = id
            self.fromMask = fromMask
            self.toMask = toMask
        }
    }
    @usableFromInline var rules: [Rule] = []
    var nextRuleID: UInt32 = 0
    public var stats = NetworkStats()

    public init() {}

    mutating func reserveActors(_ n: Int) { membership.reserveCapacity(n) }

    mutating func ensureActor(_ a: ActorID) {
        let i = Int(a.index)
        if membership.count <= i { membership.append(contentsOf: repeatElement(0, count: i + 1 - membership.count)) }
    }

    /// Overrides the link model for messages from `from` to `to`.
    public mutating func setLink(from: ActorID, to: ActorID, _ model: LinkModel) {
        linkOverrides[Self.key(from, to)] = model
    }

    public mutating func clearLink(from: ActorID, to: ActorID) {
        linkOverrides[Self.key(from, to)] = nil
    }

    @inlinable static func key(_ a: ActorID, _ b: ActorID) -> UInt64 {
        UInt64(UInt32(bitPattern: a.index)) << 32 | UInt64(UInt32(bitPattern: b.index))
    }

    /// Declares a group of actors that partitions can then cut off.
    public mutating func defineGroup(_ actors: [ActorID]) -> GroupID {
        precondition(groupCount < 64, "at most 64 partition groups")
        let g = GroupID(bit: groupCount)
        groupCount += 1
        for a in actors {
            ensureActor(a)
            membership[Int(a.index)] |= 1 << UInt64(g.bit)
        }
        return g
    }

    /// Cuts messages from `a` to `b`, and from `b` to `a` unless `oneWay`.
    @discardableResult
    public mutating func partition(_ a: GroupID, _ b: GroupID, oneWay: Bool = false) -> PartitionID {
        let id = nextRuleID
        nextRuleID += 1
        rules.append(Rule(id: id, fromMask: 1 << UInt64(a.bit), toMask: 1 << UInt64(b.bit)))
        if !oneWay { rules.append(Rule(id: id, fromMask: 1 << UInt64(b.bit), toMask: 1 << UInt64(a.bit))) }
        return PartitionID(raw: id)
    }

    /// Heals one partition.
    public mutating func heal(_ p: PartitionID) { rules.removeAll { $0.id == p.raw } }

    /// Heals every partition.
    public mutating func healAll() { rules.removeAll() }

    public var activePartitions: Int { Set(rules.map(\.id)).count }

    /// Whether a message from `from` to `to` would be cut by a partition now.
    @inlinable public func isCut(from: ActorID, to: ActorID) -> Bool {
        if rules.isEmpty { return false }
        let f = Int(from.index) < membership.count ? membership[Int(from.index)] : 0
        let t = Int(to.index) < membership.count ? membership[Int(to.index)] : 0
        for r in rules where (f & r.fromMask) != 0 && (t & r.toMask) != 0 { return true }
        return false
    }

    /// Decides the fate of one message, drawing from `rng` (the sender's network stream).
    /// Inlined into `Simulation.send`; the link is read in place, not copied, on the common path
    /// (no per-link overrides).
    @inlinable @inline(__always)
    public mutating func route<R: RandomSource>(from: ActorID, to: ActorID, rng: inout R) -> Routing {
        stats.sent &+= 1
        if !rules.isEmpty && isCut(from: from, to: to) {
            stats.partitioned &+= 1
            return .partitioned
        }
        if linkOverrides.isEmpty {
            return Self.decide(defaultLink, rng: &rng, stats: &stats)
        }
        return Self.decide(linkOverrides[Self.key(from, to)] ?? defaultLink, rng: &rng, stats: &stats)
    }

    @inlinable @inline(__always)
    static func decide<R: RandomSource>(_ link: LinkModel, rng: inout R, stats: inout NetworkStats) -> Routing {
        if link.loss > 0 && rng.bernoulli(link.loss) {
            stats.lost &+= 1
            return .lost
        }
        var first = link.latency.draw(&rng)
        if link.reorder > 0 && rng.bernoulli(link.reorder) {
            first = first + link.reorderDelay.draw(&rng)
            stats.reordered &+= 1
        }
        var second: SimDuration? = nil
        if link.duplication > 0 && rng.bernoulli(link.duplication) {
            second = link.latency.draw(&rng)
            stats.duplicated &+= 1
        }
        return .deliver(first: first, second: second)
    }

    @usableFromInline mutating func noteDelivered(toDownActor: Bool) {
        if toDownActor { stats.deliveredToDownActor += 1 } else { stats.delivered += 1 }
    }
}
