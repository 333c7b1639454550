#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SimHarness

#if canImport(Glibc)
import Glibc
#endif

/// A batch of runs for one worker process: one cell, some seeds.
struct SweepTask {
    var cell: Cell
    var seeds: [UInt64]

    /// Splits the planned runs into batches: small enough that the slow cells (the fleet) do
    /// not leave one worker busy long after the others, interleaved across cells.
    static func batches(cells: [Cell], seeds: [UInt64], workers: Int) -> [SweepTask] {
        guard !seeds.isEmpty else { return [] }
        let total = cells.count * seeds.count
        let size = max(1, min(seeds.count, min(25, (total + workers * 8 - 1) / (workers * 8))))
        let perCell = (seeds.count + size - 1) / size
        var tasks: [SweepTask] = []
        for b in 0..<perCell {
            for c in cells {
                tasks.append(SweepTask(cell: c, seeds: Array(seeds[(b * size)..<min(seeds.count, (b + 1) * size)])))
            }
        }
        return tasks
    }
}

/// Runs sweep tasks in worker processes (children of this executable running `sweep-worker`),
/// at most `workers` at a time, and collects their run records.
///
/// Single-threaded: one `poll` loop reads every child's stdout (one JSON line per run) and
/// stderr (kept for crash reports). A child that dies mid-batch costs one seed: the first it
/// did not report is recorded as crashed, the rest go back in the queue.
struct SweepPool {
    let executable: String
    let workers: Int
    /// Passed to every `sweep-worker` (e.g. `--measures`).
    var workerArguments: [String] = []

    /// Called after each record arrives, with every record so far.
    typealias Progress = (_ done: Int, _ failed: Int) -> Void

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// One running child.
    final class Child {
        let task: SweepTask
        let process: ChildProcess
        let out: Int32
        let err: Int32
        var outOpen = true
        var errOpen = true
        var line: [UInt8] = []
        var errTail: [UInt8] = []
        var reported: Set<UInt64> = []

        init(task: SweepTask, process: ChildProcess, out: Int32, err: Int32) {
            self.task = task
            self.process = process
            self.out = out
            self.err = err
        }
    }

    func run(_ tasks: [SweepTask], progress: Progress) throws -> [RunRecord] {
        var queue = tasks[...]
        var running: [Child] = []
        var records: [RunRecord] = []
        var failed = 0
        var buffer = [UInt8](repeating: 0, count: 1 << 16)

        while !queue.isEmpty || !running.isEmpty {
            while running.count < workers, let task = queue.popFirst() {
                running.append(try spawn(task))
            }
            // nondeterminism-ok: process parallelism, results are merged in seed order
            var fds: [pollfd] = []
            for c in running {
                if c.outOpen { fds.append(pollfd(fd: c.out, events: Int16(POLLIN), revents: 0)) }
                if c.errOpen { fds.append(pollfd(fd: c.err, events: Int16(POLLIN), revents: 0)) }
            }
            if !fds.isEmpty {
                let ready = poll(&fds, nfds_t(fds.count), 1000)
                if ready < 0 && errno != EINTR { throw Failure(description: "poll failed: errno \(errno)") }
            }
            for f in fds where f.revents != 0 {
                guard let c = running.first(where: { $0.out == f.fd || $0.err == f.fd }) else { continue }
                let n = read(f.fd, &buffer, buffer.count)
                if n <= 0 {
                    if n < 0 && (errno == EINTR || errno == EAGAIN) { continue }
                    if f.fd == c.out { c.outOpen = false } else { c.errOpen = false }
                    continue
                }
                if f.fd == c.err {
                    c.errTail.append(contentsOf: buffer[0..<n])
                    if c.errTail.count > 4096 { c.errTail.removeFirst(c.errTail.count - 4096) }
                    continue
                }
                for byte in buffer[0..<n] {
                    if byte != UInt8(ascii: "\n") {
                        c.line.append(byte)
                        continue
                    }
                    let text = String(decoding: c.line, as: UTF8.self)
                    c.line.removeAll(keepingCapacity: true)
                    let record: RunRecord
                    do { record = try RunRecord(jsonLine: text) } catch {
                        throw Failure(description: "worker for \(c.task.cell) wrote an unreadable line: \(error): \(text)")
                    }
                    guard record.key.cell == c.task.cell, c.task.seeds.contains(record.key.seed),
                        c.reported.insert(record.key.seed).inserted
                    else { throw Failure(description: "worker for \(c.task.cell) reported a run it was not given: \(record.key)") }
                    records.append(record)
                    if !record.passed { failed += 1 }
                    progress(records.count, failed)
                }
            }
            // Children whose output is closed have exited (or are about to).
            for c in running where !c.outOpen && !c.errOpen {
                let exit = c.process.wait()
                close(c.out)
                close(c.err)
                let rest = c.task.seeds.filter { !c.reported.contains($0) }
                if let dead = rest.first {
                    let status = exit.description
                    let tail = String(decoding: c.errTail, as: UTF8.self).split(separator: "\n").suffix(3)
                        .joined(separator: " | ")
                    records.append(.crashed(RunKey(scenario: c.task.cell.scenario, profile: c.task.cell.profile, seed: dead), tail.isEmpty ? status : "\(status): \(tail)"))
                    failed += 1
                    progress(records.count, failed)
                    if rest.count > 1 { queue.append(SweepTask(cell: c.task.cell, seeds: Array(rest.dropFirst()))) }
                }
            }
            running.removeAll { !$0.outOpen && !$0.errOpen }
        }
        return records
    }

    /// Starts `simharness sweep-worker` for a task.
    func spawn(_ task: SweepTask) throws -> Child {
        let arguments = [
            "sweep-worker", "--scenario", task.cell.scenario, "--profile", task.cell.profile,
            "--seeds", task.seeds.map(String.init).joined(separator: ","),
        ] + workerArguments
        // nondeterminism-ok: process parallelism, results are merged in seed order
        let process: ChildProcess
        do { process = try ChildProcess.spawn(executable, arguments) } catch {
            throw Failure(description: "cannot start worker \(executable): \(error)")
        }
        return Child(task: task, process: process, out: process.out, err: process.err)
    }

    /// This executable's path, for the workers: /proc/self/exe resolved (Linux), else argv[0].
    static func ownExecutable() -> String {
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return path }
        return CommandLine.arguments[0]
    }
}
