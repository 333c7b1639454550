import JobSystem

/// Discord guild membership kept in PostgreSQL (`0006_discord_guild_members.sql`): what the
/// operator (`sentinel guild …`) writes and the scheduler's guild filters are rebuilt from.
/// Not part of `JobStore`: in the simulation the Discord model feeds the sentinel directly.
extension PostgresStore {
    /// A guild id or a Discord user id: a snowflake, 1 to 20 decimal digits.
    public static func isSnowflake(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 20 && text.utf8.allSatisfy { $0 >= 48 && $0 <= 57 } && UInt64(text) != nil
    }

    /// Adds `members` to `guild` (one statement); returns how many were not members yet.
    public mutating func addGuildMembers(guild: String, members: [UInt64]) throws(StoreError) -> Int {
        guard !members.isEmpty else { return 0 }
        return try db.execute("""
            WITH added AS (
                INSERT INTO discord_guild_members (guild_id, member_id)
                SELECT $1, m FROM unnest($2::numeric[]) AS m
                ON CONFLICT DO NOTHING RETURNING 1)
            SELECT count(*) FROM added
            """, [guild, Self.numericArray(members)]).first!.int(0)
    }

    /// Removes `members` from `guild` (one statement); returns how many were members.
    public mutating func removeGuildMembers(guild: String, members: [UInt64]) throws(StoreError) -> Int {
        guard !members.isEmpty else { return 0 }
        return try db.execute("""
            WITH gone AS (
                DELETE FROM discord_guild_members WHERE guild_id = $1 AND member_id = ANY($2::numeric[]) RETURNING 1)
            SELECT count(*) FROM gone
            """, [guild, Self.numericArray(members)]).first!.int(0)
    }

    /// Forgets a guild (the bot left it); returns how many members it had.
    public mutating func dropGuild(_ guild: String) throws(StoreError) -> Int {
        try db.execute("""
            WITH gone AS (DELETE FROM discord_guild_members WHERE guild_id = $1 RETURNING 1) SELECT count(*) FROM gone
            """, [guild]).first!.int(0)
    }

    /// Every guild with its members (sorted), guilds in id order, and the membership version
    /// they were read at, from one snapshot.
    public func guildMembership() throws(StoreError) -> (version: Int64, guilds: [(guild: String, members: [UInt64])]) {
        try db.transaction(.repeatableRead, readOnly: true) {
            (db: PGConnection) throws(StoreError) -> (version: Int64, guilds: [(guild: String, members: [UInt64])]) in
            let version = try db.run("SELECT version FROM discord_guild_membership_version", []).first?.int64(0) ?? 0
            var guilds: [(guild: String, members: [UInt64])] = []
            for r in try db.run("""
                SELECT m.guild_id, m.member_id::text FROM discord_guild_members m ORDER BY m.guild_id, m.member_id
                """, []).all {
                let guild = try r.string(0)
                guard let member = UInt64(try r.string(1)) else {
                    throw .database(sqlState: "22003", message: "guild \(guild): a member id out of range")
                }
                if guilds.last?.guild == guild {
                    guilds[guilds.count - 1].members.append(member)
                } else {
                    guilds.append((guild, [member]))
                }
            }
            return (version, guilds)
        }
    }

    /// The membership version alone (one row): whether `guildMembership` must be read again.
    public func guildMembershipVersion() throws(StoreError) -> Int64 {
        try db.execute("SELECT version FROM discord_guild_membership_version").first?.int64(0) ?? 0
    }

    static func numericArray(_ ids: [UInt64]) -> String {
        "{" + ids.map(String.init).joined(separator: ",") + "}"
    }
}
