import Foundation
import HTTPAPI
import JobSystem
import Logging
import PostgresStore
import SentinelRuntime
import Testing

extension PostgreSQLBackedTests {
    /// Discord guild membership in production: what `sentinel guild …` writes
    /// (`discord_guild_members`), and the scheduler admitting a `discord` job only to the nodes
    /// of the guild's members once the membership is written, with no restart.
    @Suite struct GuildMembershipTests {
        @Test func membershipIsAddedRemovedDroppedAndVersioned() throws {
            let url = try TestDatabase.fresh()
            var store = try PostgresStore(conninfo: url)
            let v0 = try store.guildMembershipVersion()
            #expect(try store.addGuildMembers(guild: "900", members: [3, 1, UInt64.max]) == 3)
            #expect(try store.addGuildMembers(guild: "900", members: [1, 2]) == 1)
            #expect(try store.addGuildMembers(guild: "77", members: [5]) == 1)
            let v1 = try store.guildMembershipVersion()
            #expect(v1 > v0)
            var read = try store.guildMembership()
            #expect(read.version == v1)
            #expect(read.guilds.map(\.guild) == ["77", "900"])
            #expect(read.guilds.map(\.members) == [[5], [1, 2, 3, UInt64.max]])

            #expect(try store.removeGuildMembers(guild: "900", members: [2, 4]) == 1)
            #expect(try store.dropGuild("77") == 1)
            #expect(try store.dropGuild("77") == 0)
            read = try store.guildMembership()
            #expect(read.version > v1)
            #expect(read.guilds.map(\.guild) == ["900"])
            #expect(read.guilds.map(\.members) == [[1, 3, UInt64.max]])

            // The schema refuses what is not a snowflake, whoever writes.
            #expect(throws: StoreError.self) {
                try store.connection.execute("INSERT INTO discord_guild_members (guild_id, member_id) VALUES ('x1', 1)")
            }
            #expect(PostgresStore.isSnowflake("18446744073709551615"))
            #expect(!PostgresStore.isSnowflake("18446744073709551616"))
            #expect(!PostgresStore.isSnowflake("-1"))
            #expect(!PostgresStore.isSnowflake(""))
        }

        /// Two claimed nodes (2 slots each) owned by users with Discord ids 111 and 222, and a
        /// job owner with no node (a node of the job's owner would be eligible anyway).
        func nodes(_ url: String) throws -> (member: NodeID, stranger: NodeID, owner: UserID) {
            var store = try PostgresStore(conninfo: url)
            var made: [(NodeID, UserID)] = []
            for (seed, discord) in [(UInt8(41), "111"), (UInt8(42), "222")] {
                let owner = try UserTokens.addUser(name: "d\(discord)", discordID: discord, on: store.connection).userID
                let key = TestNode(seed: seed).publicKey
                let node = try store.claimedNode(key, owner: owner, cores: 2)
                made.append((node.id, owner))
            }
            let owner = try UserTokens.addUser(name: "job-owner", discordID: "333", on: store.connection).userID
            return (made[0].0, made[1].0, owner)
        }

        @Test func theSchedulerAdmitsDiscordJobsToMembersOnceTheyAreWritten() async throws {
            let url = try TestDatabase.fresh()
            let (member, stranger, owner) = try nodes(url)
            var t = Thresholds(profile: .fixed)
            t.fallbackPeriod = .seconds(1)
            let profile = try Profile(spec: t.spec(base: .fixed))
            var logger = Logger(label: "guild-test")
            logger.logLevel = .critical
            let runner = SchedulerRunner(conninfo: url, profile: profile, logger: logger, recordPath: nil)
            let task = Task { try await runner.run() }
            defer { task.cancel() }

            var store = try PostgresStore(conninfo: url)
            let job = try store.sampleJob(owner: owner, iterations: 2_000, access: .discord, discordServerID: "555")
            func holders() throws -> [NodeID?] { try PostgresStore(conninfo: url).chunks(ofJob: job).map(\.nodeID) }

            // No membership yet: the guild is unknown, nobody is eligible, passes run and assign nothing.
            #expect(try await eventually { runner.status.withLock { $0.metrics.passes >= 3 } })
            #expect(try holders() == [nil, nil])

            _ = try store.addGuildMembers(guild: "555", members: [111])
            #expect(try await eventually { try holders() == [member, member] })
            #expect(runner.status.withLock { $0.guilds } == 1)
            #expect(try !holders().contains(stranger))
        }

        func eventually(_ seconds: Int = 20, _ condition: () throws -> Bool) async throws -> Bool {
            for _ in 0..<(seconds * 20) {
                if try condition() { return true }
                try await Task.sleep(for: .milliseconds(50))
            }
            return try condition()
        }
    }
}
