import Foundation
import SimHarness
import Testing

/// The CI examples users copy (examples/ci) shard the sweep the way `simharness sweep` deals
/// seeds: read from the files themselves, every seed falls in exactly one shard.
@Suite("CI examples")
struct CIExampleTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func read(_ path: String) throws -> [String] {
        let text = try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
        return text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    /// The value after `key:` on the first line that has it, without quotes.
    static func value(_ key: String, in lines: [String]) throws -> String {
        let line = try #require(lines.first { $0.trimmingCharacters(in: .whitespaces).hasPrefix(key + ":") })
        let raw = line.split(separator: ":", maxSplits: 1)[1].trimmingCharacters(in: .whitespaces)
        return raw.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
    }

    /// Each seed in exactly one of the shards, and no shard empty.
    static func checkCoverage(seeds: SeedSet, shards: [Shard]) {
        var seen: [UInt64: Int] = [:]
        for shard in shards {
            let mine = shard.select(seeds.seeds)
            #expect(!mine.isEmpty, "shard \(shard) runs nothing")
            for s in mine { seen[s, default: 0] += 1 }
        }
        let missing = seeds.seeds.filter { seen[$0] == nil }
        let twice = seen.filter { $0.value > 1 }.map(\.key).sorted()
        #expect(missing.isEmpty, "seeds in no shard: \(missing.prefix(10))")
        #expect(twice.isEmpty, "seeds in two shards: \(twice.prefix(10))")
        #expect(seen.count == seeds.seeds.count)
    }

    @Test func githubMatrixCoversEverySeedOnce() throws {
        let lines = try Self.read("examples/ci/github-actions.yml")
        let seeds = try SeedSet(try Self.value("SEEDS", in: lines))
        let count = try #require(Int(try Self.value("SHARDS", in: lines)))
        let matrix = try Self.value("shard", in: lines)
        #expect(matrix.hasPrefix("[") && matrix.hasSuffix("]"), "shard: [0, 1, ...]")
        let indices = matrix.dropFirst().dropLast().split(separator: ",").compactMap {
            Int($0.trimmingCharacters(in: .whitespaces))
        }
        #expect(indices == Array(0..<count), "the matrix is 0..<SHARDS")
        // The sweep step passes exactly that pair as --shard.
        #expect(lines.contains { $0.contains("--shard \"${{ matrix.shard }}/$SHARDS\"") })
        let shards = try indices.map { i throws(Shard.ParseError) in try Shard(parsing: "\(i)/\(count)") }
        Self.checkCoverage(seeds: seeds, shards: shards)
        // The merge runs even when a shard failed, and fails on what merge reports.
        #expect(lines.contains { $0.contains("simharness merge shard-*.json") })
        #expect(lines.contains { $0.contains("if: always() && github.event_name != 'schedule'") })
        #expect(lines.contains { $0.contains("report fleet-day") })
    }

    @Test func kubernetesIndexedJobCoversEverySeedOnce() throws {
        let lines = try Self.read("examples/ci/kubernetes-sweep.yaml")
        #expect(try Self.value("completionMode", in: lines) == "Indexed")
        let completions = try #require(Int(try Self.value("completions", in: lines)))
        #expect(try Self.value("parallelism", in: lines) == String(completions))
        // SHARD_COUNT's value is on the line after its name.
        let at = try #require(lines.firstIndex { $0.contains("name: SHARD_COUNT") })
        let count = try #require(Int(try Self.value("value", in: Array(lines[(at + 1)...]))))
        #expect(count == completions, "SHARD_COUNT must equal completions")
        let seedsLine = try #require(lines.first { $0.contains("--seeds ") })
        let spec = try #require(seedsLine.split(separator: " ").drop { $0 != "--seeds" }.dropFirst().first)
        let seeds = try SeedSet(String(spec))
        // Each pod resolves its shard from the environment Kubernetes gives it.
        let shards = try (0..<completions).map { i throws(Shard.ParseError) in
            try Shard.resolve(flag: nil, countFlag: nil, environment: ["JOB_COMPLETION_INDEX": "\(i)", "SHARD_COUNT": "\(count)"])
        }
        Self.checkCoverage(seeds: seeds, shards: shards)
    }
}
