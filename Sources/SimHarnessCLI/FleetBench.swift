import ArgumentParser
import CAllocCounter
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import Engine
import JobSystem
import SimHarness

/// `simharness bench fleet`: the workload of shared/workloads/fleet.md, one line on stdout.
struct FleetBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fleet", abstract: "The fleet workload (shared/workloads/fleet.md) on the real components.")

    @Option(help: "Nodes.") var nodes = 1_000
    @Option(help: "Jobs of 100 chunks (default: nodes / 10).") var jobs: Int?
    @Option(help: "Seed.") var seed: UInt64 = 1
    @Flag(help: "The fleet-day variant: jobs spread over the day, run to the 86,400 s horizon.") var day = false
    @Option(help: "Stop at this simulated second instead (the growth table's one simulated hour at 100,000 nodes).")
    var seconds: Int?
    @Option(help: "The node messages' wire: json (encoded, signed and parsed, as in production) or typed (the values handed over: WorldConfig.wire).")
    var wire: WireChoice = .json

    /// Accepted fleet sizes: ten times the workload's largest (10,000 nodes, 1,000 jobs of 100
    /// chunks); beyond, the run does not fit in memory, and a negative count traps.
    static let nodeCounts: ClosedRange<Int> = 1...100_000
    static let jobCounts: ClosedRange<Int> = 1...10_000

    func validate() throws {
        guard Self.nodeCounts.contains(nodes) else {
            throw ValidationError("--nodes must be between \(Self.nodeCounts.lowerBound) and \(Self.nodeCounts.upperBound)")
        }
        if let seconds, !(1...86_400).contains(seconds) {
            throw ValidationError("--seconds must be between 1 and 86400")
        }
        if let jobs, !Self.jobCounts.contains(jobs) {
            throw ValidationError("--jobs must be between \(Self.jobCounts.lowerBound) and \(Self.jobCounts.upperBound)")
        }
    }

    func run() throws {
        var workload = FleetWorkload(nodes: nodes, jobs: jobs ?? max(1, nodes / 10), seed: seed, day: day)
        workload.wire = wire
        if let seconds { workload.horizon = SimInstant.zero + SimDuration.seconds(Int64(seconds)) }
        let start = monotonicSeconds()  // nondeterminism-ok: wall clock for the benchmark only
        let cpuStart = processCPUSeconds()
        // Every malloc, calloc and realloc of the run (world built and run), counted by the
        // CAllocCounter interposition: thread-safe and reentrant, unlike the Swift runtime's
        // allocation hook that `bench engine` uses, which crashes in this program (see README).
        let counting = alloc_counter_works() != 0
        if counting { alloc_counter_start() }
        let world = workload.run()
        let mallocs = counting ? alloc_counter_stop() : 0
        let cpu = processCPUSeconds() - cpuStart
        let wall = monotonicSeconds() - start  // nondeterminism-ok
        let events = world.sim.eventsDelivered
        let sim = world.sim.now.seconds
        let completed = world.store.jobCount(.completed)
        print(cFormat(
            "nodes=%d jobs=%d events=%llu sim_seconds=%.3f wall_seconds=%.3f cpu_seconds=%.3f events_per_sec=%.0f compression=%.1f completed_jobs=%d",
            workload.nodes, workload.jobs, events, sim, wall, cpu, Double(events) / wall, sim / wall, completed)
            + (counting ? cFormat(" allocs_per_event=%.2f", Double(mallocs) / Double(max(events, 1))) : " allocs_per_event=unavailable")
            + " wire=\(wire.rawValue) sha256=\(SodiumSHA256.implementation.rawValue)")
        let o = world.observer
        StandardStreams.error((
            "digest=\(world.sim.digest) violations=\(o.violatedInvariants.map(\.rawValue)) chunks_completed=\(o.measures.chunksCompleted) "
            + "computations=\(o.measures.computations) reclaimed_by_reaper=\(o.measures.reclaimedByReaper) "
            + "heartbeats=\(o.measures.heartbeatRequests) crashes=\(o.measures.faults.filter { if case .crash = $0.action { true } else { false } }.count) "
            + "mallocs=\(mallocs) peak_rss_mib=\(peakResidentMiB())\n"
            + "events_by_kind=\(eventsByKind(world))\n"))
    }

    /// `kind:count` for every kind of event the run delivered, in `WorldEvent` order: the spec's
    /// ten kinds are a subset (its `hb_send` is our `node_timer`, `hb_arrive` an `api` heartbeat);
    /// the rest are the real system's own hops (API server to store and back, replies, channels).
    func eventsByKind(_ world: World) -> String {
        zip(WorldEvent.kindNames, world.eventsByKind).filter { $0.1 > 0 }.map { "\($0.0):\($0.1)" }.joined(separator: ",")
    }

    /// This process's CPU time (user and system), in seconds.
    func processCPUSeconds() -> Double {
        #if canImport(Glibc)
        var ts = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)  // nondeterminism-ok: CPU clock for the benchmark only
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
        #else
        return 0
        #endif
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

extension WireChoice: ExpressibleByArgument {}
