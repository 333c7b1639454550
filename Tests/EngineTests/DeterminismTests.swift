import Foundation
import Testing
import Engine

/// Same seed, same run; different seed, different run; same in another process.
@Suite struct DeterminismTests {
    func pingPong(seed: UInt64, actors: Int = 100, seconds: Int64 = 20) -> (UInt64, TraceDigest, PingPongWorkload.Counters) {
        var w = PingPongWorkload(.init(actors: actors, seed: seed))
        w.run(until: .zero + .seconds(seconds))
        return (w.events, w.digest, w.counters)
    }

    @Test func sameSeedSameDigestAndEventCount() {
        let a = pingPong(seed: 42)
        let b = pingPong(seed: 42)
        #expect(a.0 == b.0)
        #expect(a.1 == b.1)
        #expect(a.2 == b.2)
        #expect(a.0 > 10_000, "the workload actually ran")
        // 1% loss each way: about 2% of pings time out; pongs are never stale without reorder.
        #expect(a.2.timeoutsFired > 0)
        #expect(a.2.pongsReceived + a.2.timeoutsFired <= a.2.pingsSent)
        #expect(a.2.pingsSent - a.2.pongsReceived - a.2.timeoutsFired <= 100, "one outstanding ping per actor")
    }

    @Test func differentSeedDifferentDigest() {
        let a = pingPong(seed: 42)
        let b = pingPong(seed: 43)
        #expect(a.1 != b.1)
    }

    @Test func digestCoversPayloadsTimesAndActors() {
        func run(_ tweak: Int) -> TraceDigest {
            var sim = Simulation<Tag>(seed: 1)
            let a = sim.addActor(named: "a")
            let b = sim.addActor(named: "b")
            sim.schedule(at: at(ms: 1), for: tweak == 1 ? b : a, Tag(1))
            sim.schedule(at: at(ms: tweak == 2 ? 3 : 2), for: a, Tag(2))
            sim.schedule(at: at(ms: 4), for: a, Tag(tweak == 3 ? 30 : 3))
            _ = drain(&sim)
            return sim.digest
        }
        let digests = (0...3).map(run)
        #expect(Set(digests.map(\.value)).count == 4)
        #expect(run(0) == run(0))
        #expect(run(0).count == 3 * 4, "four words per event")
    }

    /// A richer workload: faults, partitions, clock drift, loss and duplication; twice.
    @Test func mixedWorkloadIsReproducible() {
        func run(seed: UInt64, twoStep: Bool = false) -> (TraceDigest, UInt64, NetworkStats, UInt64) {
            var sim = Simulation<Tag>(seed: seed)
            sim.network.defaultLink = LinkModel(
                latency: .logNormal(median: ms(20), sigma: 0.5), loss: 0.02, duplication: 0.02, reorder: 0.05)
            let ids = (0..<20).map { sim.addActor(named: "n\($0)") }
            let left = sim.network.defineGroup(Array(ids[0..<10]))
            let right = sim.network.defineGroup(Array(ids[10...]))
            sim.setDrift(of: ids[3], ppb: 250_000)
            for a in ids { sim.setTimer(for: a, after: ms(Int64(sim.rngs[Int(a.index)].nextBelow(50))), Tag(0)) }
            sim.schedule(at: at(ms: 2_000), for: ids[0], Tag(-1))  // partition
            sim.schedule(at: at(ms: 4_000), for: ids[0], Tag(-2))  // heal
            sim.schedule(at: at(ms: 3_000), for: ids[5], Tag(-3))  // crash
            sim.schedule(at: at(ms: 3_500), for: ids[5], Tag(-4))  // restart
            // One step (`next`) or two (`nextHeader`, `takePayload`: what `World.run` uses).
            func next() -> Delivered<Tag>? {
                guard twoStep else { return sim.next(until: at(ms: 10_000)) }
                guard let h = sim.nextHeader(until: at(ms: 10_000)) else { return nil }
                return Delivered(time: h.time, actor: h.actor, from: h.from, kind: h.kind, payload: sim.takePayload())
            }
            while let e = next() {
                let i = Int(e.actor.index)
                switch e.payload.value {
                case -1: sim.network.partition(left, right)
                case -2: sim.network.healAll()
                case -3: sim.crash(e.actor)
                case -4:
                    sim.restart(e.actor)
                    sim.setTimer(for: e.actor, after: ms(10), Tag(0))
                default:
                    if e.kind == .timer {
                        let peer = ids[Int(sim.rngs[i].nextBelow(UInt64(ids.count)))]
                        sim.send(from: e.actor, to: peer, Tag(e.payload.value + 1))
                        sim.setTimer(for: e.actor, after: ms(Int64(10 + sim.rngs[i].nextBelow(90))), Tag(0))
                    }
                }
            }
            return (sim.digest, sim.eventsDelivered, sim.network.stats, sim.timersLostToCrash)
        }
        let a = run(seed: 9)
        let b = run(seed: 9)
        #expect(a.0 == b.0)
        #expect(a.1 == b.1)
        #expect(a.2 == b.2)
        #expect(a.3 > 0, "the crash loses timers")
        let twoStep = run(seed: 9, twoStep: true)
        #expect(twoStep.0 == a.0 && twoStep.1 == a.1 && twoStep.2 == a.2 && twoStep.3 == a.3)
        #expect(a.2.partitioned > 0 && a.2.lost > 0 && a.2.duplicated > 0 && a.2.reordered > 0)
        #expect(run(seed: 10).0 != a.0)
    }

    // MARK: Across processes

    /// Finds the `simharness` executable built next to this test bundle (the `.build/<config>`
    /// folder), walking up from the test process's own path.
    static func findSimharness() -> URL? {
        var starts: [String] = [CommandLine.arguments[0]]
        if let p = Bundle.main.executablePath { starts.append(p) }
        starts.append(Bundle.main.bundlePath)
        let fm = FileManager.default
        for start in starts {
            var dir = URL(fileURLWithPath: start).standardizedFileURL.deletingLastPathComponent()
            for _ in 0..<6 {
                let candidate = dir.appendingPathComponent("simharness")
                var isDir: ObjCBool = false
                if fm.fileExists(atPath: candidate.path, isDirectory: &isDir), !isDir.boolValue,
                    fm.isExecutableFile(atPath: candidate.path)
                {
                    return candidate
                }
                if dir.path == "/" { break }
                dir = dir.deletingLastPathComponent()
            }
        }
        return nil
    }

    /// Runs the executable with SWIFT_DETERMINISTIC_HASHING removed from its environment, so
    /// that a dependence on `Hasher`'s per-process seed (Dictionary or Set order) would show.
    static func run(_ exe: URL, _ arguments: [String]) throws -> (status: Int32, out: String) {
        let p = Process()
        p.executableURL = exe
        p.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "SWIFT_DETERMINISTIC_HASHING")
        p.environment = env
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test func demoIsIdenticalAcrossTwoProcesses() throws {
        guard let exe = Self.findSimharness() else {
            Issue.record(
                """
                simharness executable not found near the test bundle (\(CommandLine.arguments[0])); \
                build it first (swift build) so the cross-process determinism check can run
                """)
            return
        }
        let first = try Self.run(exe, ["demo", "--seed", "7"])
        let second = try Self.run(exe, ["demo", "--seed", "7"])
        #expect(first.status == 0)
        #expect(second.status == 0)
        #expect(!first.out.isEmpty)
        #expect(first.out == second.out, "two processes, one seed: \(first.out) vs \(second.out)")
        // And the same as this process computes (the demo is 100 actors for 60 simulated s).
        let (events, digest, _) = pingPong(seed: 7, actors: 100, seconds: 60)
        #expect(first.out == "seed=7 events=\(events) digest=\(digest)\n")
        let other = try Self.run(exe, ["demo", "--seed", "8"])
        #expect(other.out != first.out)
    }
}
