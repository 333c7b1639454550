/// Our changes to today's behaviour that are not fixes of a seeded defect: rules the harness
/// found missing in the fixed system, or behaviours where today's code simply differs. Each is a
/// switch, on in `Profile.fixed` (and every `fixed+<defect>`), off in `Profile.legacy`, so that
/// `legacy` is today's code exactly and an incident replayed under it tells today's story.
public enum Improvement: String, Sendable, CaseIterable, Codable, Comparable {
    /// After a pass that leaves more than a batch pending, or whose guarded apply refused some
    /// of its plan (a stale snapshot), the sentinel passes again after the debounce. Today's
    /// sentinel takes one batch per wake: with no notifications (the missing trigger) a backlog
    /// drains one batch per 30 s fallback.
    case rewakeAfterBacklog = "rewake-after-backlog"
    /// A chunk whose claim was reaped avoids its previous node while another eligible node has
    /// room (found by node-hang: the emptied hung node had the most free slots and took the same
    /// chunk back every five minutes). Today's planner has no such rule.
    case avoidReapedNode = "avoid-reaped-node"
    /// A guild filter that outgrows its design size is rebuilt for twice its members, and none is
    /// sized for fewer than 32. Today's sentinel only inserts, so a guild first seen through a
    /// join gets a 2-byte filter that saturates and then admits everyone, and a guild of one or
    /// two members admits 7.5 % of non-members (`GuildDirectory.growsFilters`).
    case growGuildFilters = "grow-guild-filters"

    public static func < (a: Improvement, b: Improvement) -> Bool { a.rawValue < b.rawValue }
}

/// A set of improvements, stored as bits in `Improvement.allCases` order.
public struct ImprovementSet: Sendable, Equatable, Hashable {
    public private(set) var bits: UInt32 = 0

    public init() {}
    public init(_ improvements: some Sequence<Improvement>) { for i in improvements { insert(i) } }

    public static let none = ImprovementSet()
    public static let all = ImprovementSet(Improvement.allCases)

    static func bit(_ i: Improvement) -> UInt32 { 1 << UInt32(Improvement.allCases.firstIndex(of: i)!) }

    public func contains(_ i: Improvement) -> Bool { bits & Self.bit(i) != 0 }
    public mutating func insert(_ i: Improvement) { bits |= Self.bit(i) }
    public mutating func remove(_ i: Improvement) { bits &= ~Self.bit(i) }
    public var members: [Improvement] { Improvement.allCases.filter(contains).sorted() }
}
