import Engine
import JobSystem

/// The `fleet` performance workload of `shared/workloads/fleet.md`, built from the project's
/// real components: the System's sentinel, embedded store and handlers, node agents and their
/// timers, the Engine's network. Only the per-chunk DPS computation is replaced by its drawn
/// duration (LogNormal, median 20 s) and the stand-in result, and signatures by the stand-in
/// scheme; the fixed profile throughout.
///
/// Beyond the spec's model, our nodes also register, get claimed, fetch configs, and every
/// request has an answer: those are real events of the real system and are counted.
public struct FleetWorkload: Sendable {
    public var nodes: Int
    public var jobs: Int
    public var seed: UInt64
    /// `fleet-day`: job i at i × 86,400 / J s, and the run always goes on to the horizon.
    public var day: Bool

    public static let horizon = SimInstant.zero + .seconds(Int64(86_400))
    /// Where the run stops at the latest: the spec's horizon, or earlier for a growth
    /// measurement (one simulated hour at 100,000 nodes).
    public var horizon = FleetWorkload.horizon
    /// The node messages' wire: JSON bodies (the real path, the default) or the typed stand-in
    /// (`WorldConfig.wire`).
    public var wire: WireChoice = .json

    public init(nodes: Int, jobs: Int, seed: UInt64, day: Bool = false) {
        self.nodes = nodes
        self.jobs = jobs
        self.seed = seed
        self.day = day
    }

    public var world: WorldConfig {
        var w = WorldConfig(seed: seed, profile: .fixed)
        w.signatures = .standIn
        w.compute = .standIn
        w.wire = wire
        w.nodeCrashMean = .seconds(Int64(86_400))
        w.nodeRestartDelay = .seconds(Int64(300))
        // One poll per job at creation: the workload has no portal polling.
        w.pollInterval = .days(2)
        let users = max(1, (jobs + 99) / 100)
        for u in 0..<users { w.users.append(UserSpec(name: "user-\(u)")) }
        // The first heartbeat at U[0, 15) s: each node boots then.
        var rng = Xoshiro256StarStar(seed: seed, stream: streamKey("fleet-boot"))
        w.nodes.reserveCapacity(nodes)
        for n in 0..<nodes {
            var spec = NodeSpec(name: "n\(n)")
            spec.owner = 0
            spec.totalCores = 4
            spec.maxParallel = 4
            spec.bootAt = .nanoseconds(rng.uniform(0...14_999_999_999))
            w.nodes.append(spec)
        }
        let config = JSONValue.object([
            "fightLengthSeconds": 300, "targets": 1, "hastePercent": 0, "critChance": 0.2, "critMultiplier": 2,
            "abilities": [["name": "hit", "minDamage": 1000, "maxDamage": 2000, "cooldownMs": 0, "castTimeMs": 1500, "aoe": false]],
        ])
        for j in 0..<jobs {
            let at: SimDuration = day ? .nanoseconds(Int64(j) * 86_400_000_000_000 / Int64(jobs)) : .seconds(Int64(j))
            w.users[j % users].submissions.append(SubmissionSpec(at: at, config: config, iterations: 100_000))
        }
        return w
    }

    /// Runs it: until the last job completes (or, for `fleet-day`, to the horizon).
    /// `keepingDecisions`: also keep the digest of the store's decisions (`World.decisions`).
    public func run(keepingDecisions: Bool = false) -> World {
        var world = World(world)
        if keepingDecisions { world.decisions = TraceDigest() }
        world.observer.verifyAllAtOnce = false
        world.run(until: horizon, stopOnViolation: false, stopAfterCompletedJobs: day ? nil : jobs)
        return world
    }
}
