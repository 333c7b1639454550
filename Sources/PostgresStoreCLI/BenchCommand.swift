import ArgumentParser
import Foundation
import PostgresStore
import Synchronization
import JobSystem

/// Guarded assignments and completions per second on a real PostgreSQL, from one connection
/// and from several at once. Each connection works on its own jobs and nodes (as separate
/// sentinels' plans and separate nodes' completions would), one operation per transaction:
/// the figure is the store's per-operation cost, not the planner's.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Guarded assignments/s and completions/s (EMPTIES the database's tables: use a scratch database).")

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "Connection counts to measure, comma-separated.")
    var connections: String = "1,4"

    @Option(help: "Chunks per connection.")
    var chunks: Int = 2_000

    @Option(help: "Rows per guarded apply (the sentinel applies a pass's plan, up to 100 rows, in one call).")
    var batch: Int = 1

    @Flag(help: "Confirm that the database's tables may be emptied.")
    var reset = false

    func validate() throws {
        guard reset else { throw ValidationError("bench empties the tables of the database it is given: pass --reset to confirm") }
        guard chunks > 0, chunks <= 1_000_000 else { throw ValidationError("--chunks must be in 1...1000000") }
        guard (1...1_000).contains(batch) else { throw ValidationError("--batch must be in 1...1000") }
        guard !counts.isEmpty, counts.allSatisfy({ (1...64).contains($0) }) else {
            throw ValidationError("--connections must list counts in 1...64")
        }
    }

    var counts: [Int] { connections.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }

    func run() throws {
        let conninfo = connection.conninfo
        do {
            let admin = try PGConnection(conninfo)
            try Migrations.apply(on: admin)
            for n in counts {
                try PostgresAdmin.truncateAll(on: admin)
                let work = try prepare(conninfo: conninfo, workers: n)
                let size = batch
                let batches = work.map { items in
                    stride(from: 0, to: items.count, by: size).map { Array(items[$0..<min($0 + size, items.count)]) }
                }
                let assign = try measure(batches, conninfo: conninfo) { store, rows throws(StoreError) in
                    let made = try store.applyAssignments(
                        rows.map { PlannedAssignment(chunkID: $0.chunk, nodeID: $0.node) }, guarded: true)
                    return made.count
                }
                let result = ChunkResult(tally: DamageTally(fightLengthSeconds: 300, iterationDamages: [1_000_000]))
                let complete = try measure(work.map { $0.map { [$0] } }, conninfo: conninfo) { store, rows throws(StoreError) in
                    let outcome = try store.completeChunk(
                        Completion(nodeID: rows[0].node, chunkID: rows[0].chunk, attempt: 1, result: result), rules: CompletionRules())
                    if case .accepted = outcome { return 1 }
                    return 0
                }
                print("connections=\(n) chunks=\(n * chunks) batch=\(batch) guarded-assignments/s=\(assign.rate) (\(assign.failed) refused) completions/s=\(complete.rate) (\(complete.failed) refused)")
            }
        } catch {
            throw ValidationErrorMessage("bench failed: \(error)")
        }
    }

    struct Item: Sendable { var chunk: ChunkID; var node: NodeID }

    /// Per worker: one user, one online node of ample capacity, one config, and jobs of
    /// one-iteration chunks, 1,000 chunks a job.
    func prepare(conninfo: String, workers: Int) throws(StoreError) -> [[Item]] {
        var store = try PostgresStore(conninfo: conninfo)
        var work: [[Item]] = []
        for w in 0..<workers {
            let user = UserID(Identifier(high: 1, low: UInt64(w + 1)))
            var key = [UInt8](repeating: 0, count: 32)
            key[0] = UInt8(w + 1)
            let node = try store.registerNode(NodeRegistration(
                publicKey: PublicKey(bytes: key)!, claimCode: "B\(w)", name: "bench\(w)", totalCores: 1_000_000,
                maxParallel: 1_000_000, platform: "linux", version: "bench")).node.id
            _ = try store.claimNode(claimCode: "B\(w)", by: user)
            _ = try store.heartbeat(node)
            let text = "{\"bench\":\(w)}"
            let config = NewConfig(hash: ConfigHash(hex: String(repeating: String(w % 10), count: 64))!, canonicalJSON: text, rotationID: nil)
            var items: [Item] = []
            var left = chunks
            while left > 0 {
                let size = min(left, 1_000)
                let job = try store.createJob(NewJob(
                    userID: user, configHash: config.hash, totalIterations: size, chunkIterations: 1, accessType: .public,
                    discordServerID: nil), upserting: config)
                items += try store.chunks(ofJob: job.jobID).map { Item(chunk: $0.id, node: node) }
                left -= size
            }
            work.append(items)
        }
        return work
    }

    struct Rate { var rate: Int; var failed: Int }

    /// Runs `op` over each worker's groups of items on its own connection and thread; rows per
    /// second over the wall time of all of them (`op` returns how many of its rows it did).
    func measure(
        _ work: [[[Item]]], conninfo: String, _ op: @escaping @Sendable (inout PostgresStore, [Item]) throws(StoreError) -> Int
    ) throws(StoreError) -> Rate {
        let failed = Atomic<Int>(0), errors = Atomic<Int>(0), ready = Atomic<Int>(0)
        let group = DispatchGroup()
        let start = Atomic<UInt64>(0)
        // One OS thread per connection (a thread pool would run only as many as there are cores).
        for w in work.indices {
            group.enter()
            let items = work[w]
            Thread {
                defer { group.leave() }
                var store: PostgresStore
                do throws(StoreError) { store = try PostgresStore(conninfo: conninfo) } catch {
                    errors.add(1, ordering: .relaxed)
                    ready.add(1, ordering: .sequentiallyConsistent)
                    return
                }
                // Connected: wait until every worker is, then go together.
                if ready.add(1, ordering: .sequentiallyConsistent).newValue == work.count {
                    start.store(DispatchTime.now().uptimeNanoseconds, ordering: .sequentiallyConsistent)
                }
                while ready.load(ordering: .sequentiallyConsistent) < work.count { usleep(100) }
                for group in items {
                    do throws(StoreError) {
                        let done = try op(&store, group)
                        if done < group.count { failed.add(group.count - done, ordering: .relaxed) }
                    } catch {
                        errors.add(1, ordering: .relaxed)
                    }
                }
            }.start()
        }
        group.wait()
        let began = start.load(ordering: .sequentiallyConsistent)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - began) / 1e9
        guard errors.load(ordering: .relaxed) == 0 else {
            throw .database(sqlState: "", message: "\(errors.load(ordering: .relaxed)) operations failed")
        }
        let total = work.reduce(0) { $0 + $1.reduce(0) { $0 + $1.count } }
        return Rate(rate: Int(Double(total) / seconds), failed: failed.load(ordering: .relaxed))
    }
}
