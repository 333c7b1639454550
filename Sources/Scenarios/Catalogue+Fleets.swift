import Engine
import SimHarness
import JobSystem

/// The scenarios of issue 14: faults real fleets meet that the first catalogue did not try.
extension Catalogue {
    // MARK: Slow chunks

    /// Live nodes whose chunks take longer than the claim timeout, beside nodes that crash
    /// and stay down. Today's reaper takes the slow chunks back at five minutes and gives them
    /// to others (duplicate executions; the slow node's result then arrives stale: wasted
    /// compute); the fixed reaper leaves a live node's claim alone and still takes the crashed
    /// nodes' chunks back as soon as the claim timeout allows. `live-claims-kept` names it.
    static let slowChunks = Scenario(
        name: "slow-chunks",
        summary: "Two slow nodes (chunks ~7 min, past the 5-min claim timeout) still heartbeating; two nodes crash for good.",
        exposes: [.reapsLiveClaims, .competingReclaim], faults: ["slow node", "node crash"]
    ) { seed, profile in
        var w = Build.world(seed: seed, profile: profile, nodes: 6)
        // Nodes 0 and 1 are twenty times slower: a chunk's median is 400 s.
        w.nodes[0].slowdown = 20
        w.nodes[1].slowdown = 20
        // 24 chunks for 24 slots: every node gets four at the start.
        Build.submit(&w, count: 2, chunks: 12)
        var plan = RunPlan(world: w, horizon: .zero + .minutes(45))
        plan.at(.seconds(Int64(25)), .crash, on: .node(2))
        plan.at(.seconds(Int64(25)), .crash, on: .node(3))
        // The slow chunks' tail (LogNormal, σ 0.5) is the bound: 400 s · e^(3·0.5) ≈ 30 min.
        plan.livenessDeadline = .zero + .minutes(45)
        return plan
    }

    // MARK: The sentinel's connection

    /// The sentinel's own connection drops (the store stays up): notifications committed while
    /// it is away are lost, its re-LISTEN cannot get through for a minute, and statements are
    /// slow afterwards. It must recover through its 30 s fallback and LISTEN again.
    static let storeConnectionLoss = Scenario(
        name: "store-connection-loss",
        summary: "The sentinel's connection drops and stays down 75 s, notifications lost meanwhile; slow statements; dropped again.",
        exposes: [.missingTrigger], faults: ["sentinel connection dropped", "sentinel cut off from the store", "slow statements"]
    ) { seed, profile in
        var w = Build.world(seed: seed, profile: profile, nodes: 4)
        Build.submit(&w, count: 4, chunks: 8, spacing: .seconds(Int64(30)))
        var plan = RunPlan(world: w, horizon: .zero + .minutes(20))
        plan.at(.seconds(Int64(30)), .dropConnection, on: .sentinel(0))
        plan.at(.seconds(Int64(30)), .partition(label: "sentinel-connection", from: [.sentinel(0)], to: [.store], oneWay: false))
        // Healed between two of the sentinel's 30 s fallback passes (it started at 0).
        plan.at(.seconds(Int64(105)), .heal(label: "sentinel-connection"))
        plan.at(.seconds(Int64(115)), .storeSlowness(.milliseconds(1_500)), on: .store)
        plan.at(.seconds(Int64(175)), .storeSlowness(.zero), on: .store)
        plan.at(.seconds(Int64(140)), .dropConnection, on: .sentinel(0))
        // Recovery within the fallback bound: the work that waited is assigned by the first
        // pass after the heal, at most one fallback period later (+5 s of round trips).
        plan.recoveryAt = .zero + .seconds(Int64(105))
        plan.recoveryBoundSeconds = profile.fallbackPeriod.seconds + 5
        // Then two rounds of chunks, with slack for retries.
        let fallback = SimDuration.microseconds(profile.fallbackPeriod.micros)
        plan.livenessDeadline = .zero + .seconds(Int64(175)) + fallback + .minutes(6)
        return plan
    }

    // MARK: A tenth of the fleet cut off

    /// Ten of a hundred nodes lose the store for six minutes while jobs keep arriving: their
    /// claims must be reaped only after the timeout (they are silent), the rest of the fleet
    /// takes the work, and the healed nodes' late results are refused or accepted by the rules.
    static let partitionedFleet = Scenario(
        name: "partitioned-fleet",
        summary: "A tenth of 100 nodes cut off from the store for 6 minutes while a job arrives every 45 s, then healed.",
        exposes: [.competingReclaim, .mismatchedOnlineThresholds], faults: ["partition", "heal"]
    ) { seed, profile in
        var w = Build.world(seed: seed, profile: profile, nodes: 100)
        // 12 jobs of 60 chunks, one every 45 s (so today's sentinel also runs its fallback pass,
        // where its reclaim lives): nearly two rounds of the fleet's 400 slots.
        Build.submit(&w, count: 12, chunks: 60, spacing: .seconds(Int64(45)))
        var plan = RunPlan(world: w, horizon: .zero + .minutes(30))
        // Fifteen seconds after the second job arrives: the lowest-numbered nodes (the planner's
        // tie-break) have been given its chunks and are computing them (today's sentinel, on
        // its 30 s fallback alone, gives them theirs ten seconds later, unaware), so the
        // cut-off tenth holds live claims.
        plan.at(.seconds(Int64(80)), .partition(label: "tenth", from: (0..<10).map { .node($0) }, to: [.store], oneWay: false))
        plan.at(.seconds(Int64(440)), .heal(label: "tenth"))
        plan.recoveryAt = .zero + .seconds(Int64(440))
        // The healed nodes heartbeat within 15 s; what waited is assigned by the next pass.
        plan.recoveryBoundSeconds = 60
        plan.livenessDeadline = .zero + .seconds(Int64(440)) + Build.livenessBound(profile)
        return plan
    }

    // MARK: Thundering herd

    /// How many nodes `thundering-herd` runs (the 10,000).
    public static let herdNodes = 10_000

    /// Every node loses the API for six minutes while users keep submitting, and later the
    /// store restarts (30 s); each time the whole fleet comes back at once: heartbeats, completions computed during the outage retried
    /// (with jittered exponential backoff), and the work that piled up assigned. In no second
    /// may the store get requests from more than half the fleet (a herd that came back in step
    /// would send every node's heartbeat and retries at once), and every job must complete.
    /// The measured peak (README) is far below: the fleet's own heartbeat phases and the
    /// retries' jitter spread it. Stand-in compute and signatures (proven equivalent by
    /// tests), as in `fleet`.
    static let thunderingHerd = Scenario(
        name: "thundering-herd",
        summary: "10,000 nodes lose the API for 6 minutes while jobs pile up, then reconnect at once; later a 30 s store restart.",
        faults: ["API outage for the whole fleet", "heal", "store restart"]
    ) { seed, profile in
        var w = Build.world(seed: seed, profile: profile, nodes: herdNodes)
        w.signatures = .standIn
        w.compute = .standIn
        w.pollInterval = .seconds(30)
        var boot = Xoshiro256StarStar(seed: seed, stream: streamKey("herd-boot"))
        for n in 0..<herdNodes { w.nodes[n].bootAt = .nanoseconds(boot.uniform(0...14_999_999_999)) }
        // Work before the outage, and work that piles up during it.
        Build.submit(&w, count: 10, chunks: 100, start: .seconds(Int64(20)), spacing: .seconds(Int64(2)))
        Build.submit(&w, count: 20, chunks: 100, start: .seconds(Int64(120)), spacing: .seconds(Int64(10)))
        var plan = RunPlan(world: w, horizon: .zero + .minutes(20))
        let everyNode: [Target] = (0..<herdNodes).map { .node($0) }
        plan.at(.seconds(Int64(60)), .partition(label: "api-outage", from: everyNode, to: [.store], oneWay: false))
        plan.at(.seconds(Int64(420)), .heal(label: "api-outage"))
        plan.recoveryAt = .zero + .seconds(Int64(420))
        plan.recoveryBoundSeconds = 60
        // Then the store itself restarts: every session and in-flight request lost, the whole
        // fleet back at once a second time.
        plan.at(.seconds(Int64(600)), .crash, on: .store)
        plan.at(.seconds(Int64(630)), .restart, on: .store)
        plan.maxRequestsPerSecond = herdNodes / 2
        plan.livenessDeadline = .zero + .seconds(Int64(420)) + Build.livenessBound(profile)
        return plan
    }

    // MARK: A day of the fleet

    /// How many nodes `fleet-day` runs.
    public static let dayNodes = 10_000

    /// The fleet workload over a simulated day (shared/workloads/fleet.md's `fleet-day`: 1,000
    /// jobs of 100 chunks spread over 24 h, nodes crashing once a day on average), with a node
    /// hanging for ten minutes every hour, a hundred nodes cut off for five minutes every three
    /// hours, and a 30 s store restart at noon. No invariant may break under `fixed`. Too long
    /// for `run --all`: CI runs it on a schedule (examples/ci).
    static let fleetDay = Scenario(
        name: "fleet-day",
        summary: "10,000 nodes for a simulated day: random crashes, hourly hangs, partitions every 3 h, a store restart at noon.",
        faults: ["random node crashes", "node hang", "partition", "store restart"], inRunAll: false
    ) { seed, profile in
        var w = FleetWorkload(nodes: dayNodes, jobs: 1_000, seed: seed, day: true).world
        w.profile = profile
        var rng = Xoshiro256StarStar(seed: seed, stream: streamKey("fleet-day"))
        let day: Int64 = 86_400
        var plan = RunPlan(world: w, horizon: .zero + .seconds(day + 3_600))
        for hour in 0..<24 {
            let n = Int(rng.nextBelow(UInt64(dayNodes)))
            let t = Int64(hour) * 3_600 + rng.uniform(0...3_000)
            plan.at(.seconds(t), .hang, on: .node(n))
            plan.at(.seconds(t + 600), .unhang, on: .node(n))
        }
        for k in 0..<8 {
            let first = Int(rng.nextBelow(UInt64(dayNodes - 100)))
            let t = Int64(k) * 10_800 + 1_800
            let label = "cut-\(k)"
            plan.at(.seconds(t), .partition(label: label, from: (first..<first + 100).map { .node($0) }, to: [.store], oneWay: false))
            plan.at(.seconds(t + 300), .heal(label: label))
        }
        plan.at(.seconds(day / 2), .crash, on: .store)
        plan.at(.seconds(day / 2 + 30), .restart, on: .store)
        // The last job arrives at 23:58:34; it and every other must be done an hour later.
        plan.livenessDeadline = .zero + .seconds(day + 3_600)
        return plan
    }
}
