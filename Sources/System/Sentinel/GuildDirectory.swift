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

    public init() {}

    public mutating func apply(_ event: GuildEvent) {
        switch event {
        case .members(let g, let members):
            let sorted = Array(Set(members)).sorted()
            guilds[g] = Guild(members: sorted, filter: GuildBloomFilter(members: sorted, hasher: hasher))
            rebuilds += 1
        case .memberJoined(let g, let m):
            if guilds[g] == nil {
                guilds[g] = Guild(members: [], filter: GuildBloomFilter(members: [], hasher: hasher))
            }
            guard let at = insertionPoint(guilds[g]!.members, m) else { return }  // already a member
            guilds[g]!.members.insert(m, at: at)
            guilds[g]!.filter.insert(m)
        case .memberLeft(let g, let m):
            guard var guild = guilds[g], let i = guild.members.firstIndex(of: m) else { return }
            guild.members.remove(at: i)
            guild.filter = GuildBloomFilter.rebuilt(members: guild.members, hasher: hasher)
            guilds[g] = guild
            rebuilds += 1
        case .guildLeft(let g):
            guilds[g] = nil
        }
    }

    /// Whether `member` (a Discord id in decimal) may be in `guild`: no false negatives, about
    /// one false positive in a thousand at the filter's design size.
    public func mightContain(guild: String, member: String) -> Bool {
        guilds[guild]?.filter.mightContain(memberID: member) ?? false
    }

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
