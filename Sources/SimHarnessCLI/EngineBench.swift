import ArgumentParser
import Engine

#if canImport(Glibc)
import Glibc
#endif

/// `simharness bench engine`: the kernel's throughput under the ping-pong workload
/// (`PingPongWorkload`): 10,000 actors pinging random peers over a lossy link, each ping arming a
/// timeout that its pong cancels.
///
/// The run is split in three windows of simulated time: a warm-up (the first tenth, at least
/// one second: queues and arrays reach their steady-state capacity), the timed window (the
/// rest), and, after the timed window, one more simulated second in which Swift heap
/// allocations are counted (see `AllocationCounter`), so that counting costs nothing in the
/// timed window.
struct EngineBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engine",
        abstract: "Events per second of the simulation kernel under a ping-pong workload."
    )

    @Option(help: "Number of actors.")
    var actors: Int = 10_000

    @Option(name: .customLong("seconds-simulated"), help: "Simulated seconds to run (warm-up included).")
    var secondsSimulated: Int64 = 60

    @Option(help: "Seed of the run.")
    var seed: UInt64 = 1

    /// Accepted actor counts: a ping needs a peer; beyond ten million the actor table alone is
    /// gigabytes (and an absurd count traps allocating it).
    static let actorCounts: ClosedRange<Int> = 2...10_000_000
    /// Accepted simulated seconds: at least the one-second warm-up plus one; at most a year,
    /// far below where integer nanoseconds of virtual time overflow (292 years).
    static let simulatedSeconds: ClosedRange<Int64> = 2...31_536_000

    func validate() throws {
        guard Self.actorCounts.contains(actors) else {
            throw ValidationError("--actors must be between \(Self.actorCounts.lowerBound) and \(Self.actorCounts.upperBound)")
        }
        guard Self.simulatedSeconds.contains(secondsSimulated) else {
            throw ValidationError(
                "--seconds-simulated must be between \(Self.simulatedSeconds.lowerBound) and \(Self.simulatedSeconds.upperBound)")
        }
    }

    func run() throws {
        var w = PingPongWorkload(.init(actors: actors, seed: seed))
        let warmUp = SimInstant.zero + .seconds(Swift.max(Int64(1), secondsSimulated / 10))
        let end = SimInstant.zero + .seconds(secondsSimulated)
        w.run(until: warmUp)

        let eventsBefore = w.events
        let clock = ContinuousClock()  // nondeterminism-ok: wall clock for the benchmark only
        let started = clock.now  // nondeterminism-ok: wall clock for the benchmark only
        let cpuStarted = processCPUSeconds()
        w.run(until: end)
        let wall = started.duration(to: clock.now)  // nondeterminism-ok: wall clock for the benchmark only
        let cpuSeconds = processCPUSeconds() - cpuStarted
        let timedEvents = w.events - eventsBefore

        // The allocation window: one more simulated second, after the timed one.
        let counted = AllocationCounter.count {
            w.run(until: end + SimDuration.seconds(Int64(1)))
        }
        let countedEvents = w.events - eventsBefore - timedEvents

        let wallSeconds = Double(wall.components.seconds) + Double(wall.components.attoseconds) * 1e-18
        let rate = wallSeconds > 0 ? Double(timedEvents) / wallSeconds : 0
        var line = "actors=\(actors) events=\(timedEvents) sim_seconds=\((end - warmUp).seconds)"
        line += " wall_seconds=\(format(wallSeconds, 3)) events_per_sec=\(Int(rate.rounded()))"
        // CPU time too: on a shared machine the wall clock also counts other processes' turns.
        line += " cpu_seconds=\(format(cpuSeconds, 3))"
        if let allocations = counted {
            let perEvent = countedEvents > 0 ? Double(allocations) / Double(countedEvents) : 0
            line += " allocs_per_event=\(format(perEvent, 6))"
        }
        line += " digest=\(w.digest)"
        print(line)
    }

    /// This process's CPU time (user and system), in seconds.
    private func processCPUSeconds() -> Double {
        #if canImport(Glibc)
        var ts = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)  // nondeterminism-ok: wall clock for the benchmark only
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
        #else
        return 0
        #endif
    }

    private func format(_ x: Double, _ digits: Int) -> String {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let n = Int64((x * scale).rounded())
        let whole = n / Int64(scale), frac = n % Int64(scale)
        var f = String(frac)
        f = String(repeating: "0", count: digits - f.count) + f
        return "\(whole).\(f)"
    }
}

/// Counts Swift heap allocations (`swift_allocObject`: class instances, array, string and
/// dictionary buffers, boxes, closure contexts) made while a body runs, through the Swift
/// runtime's instrumentation hook `_swift_allocObject`. Plain `malloc` calls from C code are not
/// seen; the kernel's hot path makes none. Returns nil if the hook is not available.
enum AllocationCounter {
    typealias AllocFn = @convention(c) (UnsafeRawPointer?, Int, Int) -> UnsafeMutableRawPointer?

    nonisolated(unsafe) static var original: AllocFn? = nil
    nonisolated(unsafe) static var allocations: UInt64 = 0

    static func count(_ body: () -> Void) -> UInt64? {
        #if canImport(Glibc)
        guard
            let hookAddress = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "_swift_allocObject"),
            let enableAddress = dlsym(
                UnsafeMutableRawPointer(bitPattern: 0),
                "_swift_enableSwizzlingOfAllocationAndRefCountingFunctions_forInstrumentsOnly")
        else {
            body()
            return nil
        }
        let hook = hookAddress.assumingMemoryBound(to: Optional<AllocFn>.self)
        let enable = enableAddress.assumingMemoryBound(to: Bool.self)
        original = hook.pointee
        allocations = 0
        let counting: AllocFn = { metadata, size, alignMask in
            AllocationCounter.allocations &+= 1
            return AllocationCounter.original!(metadata, size, alignMask)
        }
        hook.pointee = counting
        let wasEnabled = enable.pointee
        enable.pointee = true
        body()
        enable.pointee = wasEnabled
        hook.pointee = original
        return allocations
        #else
        body()
        return nil
        #endif
    }
}
