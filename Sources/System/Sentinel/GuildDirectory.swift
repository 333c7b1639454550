/// Discord guild membership events, as the sentinel's bot receives them.
public enum GuildEvent: Sendable, Equatable {
    /// The paginated member fetch at startup or on joining a guild: (re)build its filter.
    case members(guild: String, members: [UInt64])
    /// Member add: insert into the existing filter.
    case memberJoined(guild: String, member: UInt64)
    /// Member remove: Bloom filters cannot forget, so rebuild from the remaining members.
    case memberLeft(guild: String, member: UInt64)
    /// The bot left the guild: drop its filter.
    case guildLeft(guild: String)
}

/// The sentinel's per-guild Bloom filters and the member lists they are rebuilt from.
/// Dictionaries are only looked up here, never iterated, so their order cannot reach behaviour.
public struct GuildDirectory: Sendable {
    struct Guild: Sendable {
        /// Sorted, without duplicates.
        var members: [UInt64]
        var filter: GuildBloomFilter
    }
    var guilds: [String: Guild] = [:]
    let hasher = SodiumSHA256()
    public private(set) var rebuilds = 0
    /// Whether a filter that outgrows its design size is rebuilt (`Improvement.growGuildFilters`).
    /// Today's sentinel only inserts: a guild it has no filter for gets one sized for a single
    /// member (2 bytes) on the first join, which saturates within a few joins and then admits
    /// every Discord id, so discord jobs go to anyone's nodes.
    public let growsFilters: Bool

    public init(growsFilters: Bool = true) {
        self.growsFilters = growsFilters
    }

    /// The smallest design size of our filters. Today's are sized for their exact member count,
    /// and a filter for one or two members is 16 bits: double hashing over 16 bits (a power of
    /// two) repeats positions, so such a filter admits about 7.5 % of non-members (measured by
    /// access-control), not 0.1 %. The format is unchanged: the sizing count travels with it.
    public static let minimumCapacity = 32

    public mutating func apply(_ event: GuildEvent) {
        switch event {
        case .members(let g, let members):
            let sorted = Array(Set(members)).sorted()
            guilds[g] = Guild(members: sorted, filter: filter(sorted, capacity: sorted.count))
            rebuilds += 1
        case .memberJoined(let g, let m):
            if guilds[g] == nil {
                guilds[g] = Guild(members: [], filter: filter([], capacity: 0))
            }
            guard let at = insertionPoint(guilds[g]!.members, m) else { return }  // already a member
            guilds[g]!.members.insert(m, at: at)
            let count = guilds[g]!.members.count
            if growsFilters && count > guilds[g]!.filter.sizingMemberCount {
                // Past its design size the false-positive rate climbs with every insert: rebuild
                // for twice the members, so the rate stays under p and rebuilds stay amortised.
                guilds[g]!.filter = filter(guilds[g]!.members, capacity: 2 * count)
                rebuilds += 1
            } else {
                guilds[g]!.filter.insert(m)
            }
        case .memberLeft(let g, let m):
            guard var guild = guilds[g], let i = guild.members.firstIndex(of: m) else { return }
            guild.members.remove(at: i)
            guild.filter = filter(guild.members, capacity: guild.members.count)
            guilds[g] = guild
            rebuilds += 1
        case .guildLeft(let g):
            guilds[g] = nil
        }
    }

    /// A filter of `members` sized for `capacity` (today's) or for at least `minimumCapacity`
    /// (ours).
    func filter(_ members: [UInt64], capacity: Int) -> GuildBloomFilter {
        var f = GuildBloomFilter(capacity: growsFilters ? max(capacity, Self.minimumCapacity) : capacity, hasher: hasher)
        for member in members { f.insert(member) }
        return f
    }

    /// Whether `member` (a Discord id in decimal) may be in `guild`: no false negatives, about
    /// one false positive in a thousand at the filter's design size.
    public func mightContain(guild: String, member: String) -> Bool {
        guilds[guild]?.filter.mightContain(memberID: member) ?? false
    }

    /// Guilds with a filter, sorted by name.
    public var guildNames: [String] { guilds.keys.sorted() }

    /// The exact answer, from the member list: for the harness's eligibility invariant.
    public func contains(guild: String, member: String) -> Bool {
        guard let id = UInt64(member), let g = guilds[guild] else { return false }
        return g.members.sortedContains(id)
    }

    /// Where `m` goes in sorted `a`, or nil if present.
    func insertionPoint(_ a: [UInt64], _ m: UInt64) -> Int? {
        var lo = 0, hi = a.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if a[mid] < m { lo = mid + 1 } else { hi = mid }
        }
        return lo < a.count && a[lo] == m ? nil : lo
    }
}
