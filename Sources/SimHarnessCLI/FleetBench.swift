import ArgumentParser
import Foundation
import SimHarness

/// `simharness bench fleet`: the workload of shared/workloads/fleet.md, one line on stdout.
struct FleetBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fleet", abstract: "The fleet workload (shared/workloads/fleet.md) on the real components.")

    @Option(help: "Nodes.") var nodes = 1_000
    @Option(help: "Jobs of 100 chunks (default: nodes / 10).") var jobs: Int?
    @Option(help: "Seed.") var seed: UInt64 = 1
    @Flag(help: "The fleet-day variant: jobs spread over the day, run to the 86,400 s horizon.") var day = false

    /// Accepted fleet sizes: ten times the workload's largest (10,000 nodes, 1,000 jobs of 100
    /// chunks); beyond, the run does not fit in memory, and a negative count traps.
    static let nodeCounts: ClosedRange<Int> = 1...100_000
    static let jobCounts: ClosedRange<Int> = 1...10_000

    func validate() throws {
        guard Self.nodeCounts.contains(nodes) else {
            throw ValidationError("--nodes must be between \(Self.nodeCounts.lowerBound) and \(Self.nodeCounts.upperBound)")
        }
        if let jobs, !Self.jobCounts.contains(jobs) {
            throw ValidationError("--jobs must be between \(Self.jobCounts.lowerBound) and \(Self.jobCounts.upperBound)")
        }
    }

    func run() throws {
        let workload = FleetWorkload(nodes: nodes, jobs: jobs ?? max(1, nodes / 10), seed: seed, day: day)
        let start = DispatchTime.now()  // nondeterminism-ok: wall clock for the benchmark only
        let world = workload.run()
        let wall = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9  // nondeterminism-ok
        let events = world.sim.eventsDelivered
        let sim = world.sim.now.seconds
        let completed = world.store.jobCount(.completed)
        print(String(
            format: "nodes=%d jobs=%d events=%llu sim_seconds=%.3f wall_seconds=%.3f events_per_sec=%.0f compression=%.1f completed_jobs=%d",
            workload.nodes, workload.jobs, events, sim, wall, Double(events) / wall, sim / wall, completed))
        let o = world.observer
        FileHandle.standardError.write(Data((
            "digest=\(world.sim.digest) violations=\(o.violatedInvariants.map(\.rawValue)) chunks_completed=\(o.measures.chunksCompleted) "
            + "computations=\(o.measures.computations) reclaimed_by_reaper=\(o.measures.reclaimedByReaper) "
            + "peak_rss_mib=\(peakResidentMiB())\n").utf8))
    }

    /// VmHWM from /proc/self/status (Linux): the peak resident set.
    func peakResidentMiB() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return -1 }
        for line in text.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let kb = line.split(separator: " ").compactMap { Int($0) }.first ?? 0
            return kb / 1024
        }
        return -1
    }
}
