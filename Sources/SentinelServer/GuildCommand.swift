import ArgumentParser
import Foundation
import JobSystem
import PostgresStore

/// `sentinel guild`: Discord guild membership in production (`discord_guild_members`). The
/// scheduler admits a `discord` job's chunks to nodes whose owner (`users.discord_id`) is a
/// member of the job's guild; it rebuilds its guild filters from this table within about a
/// second of a change (`SchedulerRunner.guildCheckPeriod`). A bot that exports the members
/// (the paginated member fetch) feeds `add --file`; joins and leaves are `add` / `remove`;
/// the bot leaving a guild is `drop`.
struct GuildCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "guild", abstract: "Discord guild membership, for discord-access jobs.",
        subcommands: [Add.self, Remove.self, Drop.self, List.self])

    /// Guild and member ids given on the command line and/or in a file.
    struct Members: ParsableArguments {
        @Argument(help: "The guild (server) id.") var guild: String
        @Argument(help: "Member (Discord user) ids.") var members: [String] = []
        @Option(help: "A file of member ids, one a line (- for standard input).") var file: String?

        func validated() throws -> (guild: String, members: [UInt64]) {
            guard PostgresStore.isSnowflake(guild) else { throw ValidationError("a guild id is 1 to 20 digits: \(guild)") }
            var texts = members
            if let file {
                let data: Data?
                if file == "-" { data = FileHandle.standardInput.readDataToEndOfFile() } else { data = FileManager.default.contents(atPath: file) }
                guard let data else { throw ValidationError("cannot read \(file)") }
                guard data.count <= 64 << 20 else { throw ValidationError("\(file) is over 64 MiB") }
                guard let text = String(data: data, encoding: .utf8) else { throw ValidationError("\(file) is not UTF-8") }
                texts += text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            }
            var ids: [UInt64] = []
            ids.reserveCapacity(texts.count)
            for (i, t) in texts.enumerated() {
                guard PostgresStore.isSnowflake(t), let id = UInt64(t) else {
                    throw ValidationError("member \(i + 1) is not a Discord id (1 to 20 digits, at most 18446744073709551615): \(t.prefix(40))")
                }
                ids.append(id)
            }
            guard !ids.isEmpty else { throw ValidationError("no member ids given") }
            return (guild, Array(Set(ids)).sorted())
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add members to a guild.")
        @OptionGroup var database: DatabaseOption
        @OptionGroup var input: Members

        func run() async throws {
            let (guild, members) = try input.validated()
            var store = PostgresStore(connection: try database.connect())
            let added = try store.addGuildMembers(guild: guild, members: members)
            print("guild \(guild): \(added) added, \(members.count - added) already members")
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove members from a guild.")
        @OptionGroup var database: DatabaseOption
        @OptionGroup var input: Members

        func run() async throws {
            let (guild, members) = try input.validated()
            var store = PostgresStore(connection: try database.connect())
            let removed = try store.removeGuildMembers(guild: guild, members: members)
            print("guild \(guild): \(removed) removed, \(members.count - removed) were not members")
        }
    }

    struct Drop: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Forget a guild and all its members (the bot left it).")
        @OptionGroup var database: DatabaseOption
        @Argument(help: "The guild (server) id.") var guild: String

        func run() async throws {
            guard PostgresStore.isSnowflake(guild) else { throw ValidationError("a guild id is 1 to 20 digits: \(guild)") }
            var store = PostgresStore(connection: try database.connect())
            print("guild \(guild): dropped with \(try store.dropGuild(guild)) members")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Guilds and their member counts, or one guild's members.")
        @OptionGroup var database: DatabaseOption
        @Argument(help: "A guild id: list its members.") var guild: String?

        func run() async throws {
            let read = try PostgresStore(connection: try database.connect()).guildMembership()
            if let guild {
                for id in read.guilds.first(where: { $0.guild == guild })?.members ?? [] { print(id) }
            } else {
                for g in read.guilds { print("\(g.guild)\t\(g.members.count) members") }
                print("version \(read.version)")
            }
        }
    }
}
