import Engine
import SimHarness
import JobSystem

/// Every named scenario, in the order `simharness list` prints them.
public enum Catalogue {
    public static let all: [Scenario] = [
        happyPath, nodeCrash, networkBlip, attacks, blueGreen, racySubmissions, storeRestart, sentinelCrash,
        lossyNetwork, clockSkew, accessControl, nodeHang, rollingUpgrade, Swarm.scenario, fleet,
        slowChunks, storeConnectionLoss, partitionedFleet, thunderingHerd, fleetDay,
    ] + deploys + apiServerScenarios + guards

    /// What `run --all` and `sweep --all` run: every scenario but the scheduled ones.
    public static var runAll: [Scenario] { all.filter(\.inRunAll) }

    public static func named(_ name: String) -> Scenario? { all.first { $0.name == name } }

    // MARK: No faults

    /// Jobs submitted through the portal complete with their aggregated results.
    static let happyPath = Scenario(
        name: "happy-path",
        summary: "Three users' jobs on five nodes with the real DPS model and Ed25519; no faults.",
        exposes: [.resultsNeverAggregated, .progressNeverCounted, .missingTrigger]
    ) { seed, profile in
        var w = Build.world(seed: seed, profile: profile, nodes: 5, users: 3)
        Build.submit(&w, user: 0, count: 2, chunks: 6)
        Build.submit(&w, user: 1, count: 1, chunks: 3, start: .seconds(Int64(40)))
        Build.submit(&w, user: 2, count: 1, chunks: 1, start: .seconds(Int64(41)))
        var plan = RunPlan(world: w, horizon: .zero + .minutes(15))
        // 16 chunks for 20 slots: every chunk assigned within the debounce and a few round trips.
        plan.expect = Build.noFaults(profile, link: w.link)
        plan.livenessDeadline = .zero + .minutes(15)
        return plan
    }

    // MARK: Nodes failing

    /// A node crashes mid-chunk and stays down for ten minutes; its chunks must be reaped
    /// after the claim timeout (not earlier) and finish elsewhere.
    static let nodeCrash = Scenario(
        name: "node-crash",
        summary: "Two of four nodes crash while computing and restart ten minutes later.",
        exposes: [.competingReclaim], faults: ["node crash", "node restart"]
    ) { seed, profile in
        var w = Build.world(seed: seed, profile: profile, nodes: 4)
        // Three rounds of work for every slot, so the crashes land mid-chunk.
        Build.submit(&w, count: 4, chunks: 12)
        var plan = RunPlan(world: w, horizon: .zero + .minutes(25))
        plan.at(.seconds(Int64(45)), .crash, on: .node(0))
        plan.at(.seconds(Int64(50)), .crash, on: .node(1))
        plan.at(.seconds(Int64(45 + 600)), .restart, on: .node(0))
        plan.at(.seconds(Int64(50 + 600)), .restart, on: .node(1))
        // The crashed nodes' claims are reaped by the first reaper run after the timeout (they
        // were renewed last before the crash, long before the timeout).
        plan.expect.maxReapDelaySeconds = profile.reaperPeriod.seconds + 1
        plan.livenessDeadline = .zero + .seconds(Int64(50)) + Build.livenessBound(profile)
        return plan
    }

    /// A node is cut off from the store for 150 s while it computes: it must not be shown
    /// online without being schedulable, nor lose its claims before the timeout.
    static let networkBlip = Scenario(
        name: "network-blip",
        summary: "One node partitioned from the store for 150 s mid-chunk, then healed.",
        exposes: [.mismatchedOnlineThresholds, .competingReclaim], faults: ["partition", "heal"]
    ) { seed, profile in
        var w = Build.world(seed: seed, profile: profile, nodes: 3)
        Build.submit(&w, count: 1, chunks: 9)
        var plan = RunPlan(world: w, horizon: .zero + .minutes(20))
        plan.at(.seconds(Int64(30)), .partition(label: "blip", from: [.node(0)], to: [.store], oneWay: false))
        plan.at(.seconds(Int64(180)), .heal(label: "blip"))
        plan.livenessDeadline = .zero + .seconds(Int64(180)) + Build.livenessBound(profile)
        return plan
    }

    /// A hung node keeps heartbeating but never finishes: its claims are reaped once they
    /// reach the live-claim limit (a heartbeat proves the process, not its workers).
    static let nodeHang = Scenario(
        name: "node-hang",
        summary: "A node's workers hang for good while it keeps heartbeating.",
        needs: [.avoidReapedNode], faults: ["node hang"]
    ) { seed, profile in
        var w = Build.world(seed: seed, profile: profile, nodes: 3)
        // The hung node is the biggest, so once the reaper empties it, it has the most free
        // slots whatever the node ids: without the reaped-node rule it takes its chunks back
        // at every reap, on every seed. The two others together have room for all the work.
        w.nodes[0].totalCores = 8
        w.nodes[0].maxParallel = 8
        Build.submit(&w, count: 1, chunks: 8)
        let deadline = SimInstant.zero + Build.livenessBoundHung(profile, rounds: 4)
        var plan = RunPlan(world: w, horizon: max(.zero + .minutes(20), deadline))
        plan.at(.seconds(Int64(1)), .hang, on: .node(0))
        plan.livenessDeadline = deadline
        return plan
    }

    // MARK: Requests

    /// Forged, unsigned and replayed requests against the store's API.
    static let attacks = Scenario(
        name: "attacks",
        summary: "An attacker sends forged, unsigned and replayed requests while jobs run.",
        exposes: [.unsignedNodes, .replayableSignatures], faults: ["forged request", "unsigned request", "replayed request"]
    ) { seed, profile in
        var w = Build.world(seed: seed, profile: profile, nodes: 3)
        Build.submit(&w, count: 2, chunks: 12)
        var plan = RunPlan(world: w, horizon: .zero + .minutes(12))
        for k in 0..<3 {
            let t = Int64(30 + 10 * k)
            plan.at(.seconds(t), .attack(.forgedCompletion))
            plan.at(.seconds(t + 2), .attack(.unsignedCompletion))
            plan.at(.seconds(t + 4), .attack(.replayedHeartbeat))
        }
        // A forged result that was accepted would corrupt the job; liveness is still checked.
        plan.expect.noDuplicateWork = true
        plan.expect.noSkippedAssignments = true
        plan.livenessDeadline = .zero + .minutes(12)
        return plan
    }

    /// Two users submit the same new config at the same moment, three times: today's
    /// check-then-insert upsert loses one of each pair to a unique violation (both SELECTs miss
    /// before either INSERT). Then they submit around the hourly clean-up, with configs that are
    /// over a week old and unused: between today's two calls the clean-up can delete the config.
    static let racySubmissions = Scenario(
        name: "racy-submissions",
        summary: "Two users submit one new config at once; submissions of week-old configs straddle the hourly clean-up.",
        exposes: [.racyConfigUpsert], faults: ["concurrent identical submissions", "clean-up between calls"]
    ) { seed, profile in
        var w = Build.world(seed: seed, profile: profile, nodes: 3, users: 2)
        for pair in 0..<3 {
            let config = Build.config(variant: 50 + 10 * pair)
            for user in 0..<2 {
                w.users[user].submissions.append(
                    SubmissionSpec(at: .seconds(Int64(30 + 60 * pair)), config: config, iterations: 1_000))
            }
        }
        for k in 0..<12 {
            let config = Build.config(variant: 100 + k)
            w.staleConfigs.append(config)
            var s = SubmissionSpec(at: .milliseconds(3_599_700 + 50 * Int64(k)), config: config, iterations: 1_000)
            s.accessType = .public
            w.users[k % 2].submissions.append(s)
        }
        var plan = RunPlan(world: w, horizon: .zero + .minutes(70))
        plan.expect.noDuplicateWork = true
        plan.expect.noSkippedAssignments = true
        plan.livenessDeadline = .zero + .minutes(70)
        return plan
    }

    // MARK: Sentinels and store

    /// A blue/green deploy: a second sentinel starts while a burst of jobs arrives, and both
    /// schedule at once for a while.
    static let blueGreen = Scenario(
        name: "blue-green",
        summary: "Two sentinels schedule at once during a deploy, with bursts of pending chunks.",
        exposes: [.unguardedAssignment], faults: ["second sentinel", "sentinel stop"]
    ) { seed, profile in
        var w = Build.world(seed: seed, profile: profile, nodes: 8)
        w.sentinels = 2
        Build.submit(&w, count: 6, chunks: 10, spacing: .seconds(Int64(15)))
        var plan = RunPlan(world: w, horizon: .zero + .minutes(20))
        plan.at(.seconds(Int64(300)), .stopSentinel)
        plan.expect.noDuplicateWork = true
        plan.livenessDeadline = .zero + .minutes(20)
        return plan
    }

    /// The store restarts: sessions and listeners are lost, committed data is kept.
    static let storeRestart = Scenario(
        name: "store-restart",
        summary: "The store goes down for 20 s mid-run and comes back with its data.",
        faults: ["store crash", "store restart", "slow statements", "dropped connections"]
    ) { seed, profile in
        var w = Build.world(seed: seed, profile: profile, nodes: 4)
        Build.submit(&w, count: 2, chunks: 8)
        var plan = RunPlan(world: w, horizon: .zero + .minutes(20))
        plan.at(.seconds(Int64(10)), .dropNotifications(probability: 0.5), on: .store)
        plan.at(.seconds(Int64(28)), .dropNotifications(probability: 0), on: .store)
        plan.at(.seconds(Int64(30)), .storeSlowness(.milliseconds(800)), on: .store)
        plan.at(.seconds(Int64(45)), .storeSlowness(.zero), on: .store)
        plan.at(.seconds(Int64(50)), .crash, on: .store)
        plan.at(.seconds(Int64(70)), .restart, on: .store)
        plan.at(.seconds(Int64(100)), .dropStoreConnections, on: .store)
        plan.livenessDeadline = .zero + .seconds(Int64(70)) + Build.livenessBound(profile)
        return plan
    }

    /// The sentinel crashes mid-run and comes back: nothing is lost, all is in the store.
    static let sentinelCrash = Scenario(
        name: "sentinel-crash",
        summary: "The sentinel crashes twice, once for two minutes.",
        faults: ["sentinel crash", "sentinel restart"]
    ) { seed, profile in
        var w = Build.world(seed: seed, profile: profile, nodes: 4)
        Build.submit(&w, count: 3, chunks: 6, spacing: .seconds(Int64(20)))
        var plan = RunPlan(world: w, horizon: .zero + .minutes(15))
        plan.at(.milliseconds(20_030), .crash, on: .sentinel(0))
        plan.at(.seconds(Int64(25)), .restart, on: .sentinel(0))
        plan.at(.seconds(Int64(60)), .crash, on: .sentinel(0))
        plan.at(.seconds(Int64(180)), .restart, on: .sentinel(0))
        plan.expect.noDuplicateWork = true
        plan.livenessDeadline = .zero + .minutes(15)
        return plan
    }

    // MARK: Network and clocks

    static let lossyNetwork = Scenario(
        name: "lossy-network",
        summary: "5 % loss, 5 % duplication and 10 % reordering on every link for five minutes.",
        faults: ["loss", "duplication", "reordering"]
    ) { seed, profile in
        var w = Build.world(seed: seed, profile: profile, nodes: 4)
        Build.submit(&w, count: 2, chunks: 6)
        var plan = RunPlan(world: w, horizon: .zero + .minutes(20))
        plan.at(.seconds(Int64(10)), .setLink(LinkModel(loss: 0.05, duplication: 0.05, reorder: 0.10)))
        plan.at(.seconds(Int64(310)), .setLink(.standard))
        plan.expect.noDuplicateWork = true
        plan.livenessDeadline = .zero + .seconds(Int64(310)) + Build.livenessBound(profile)
        return plan
    }

    static let clockSkew = Scenario(
        name: "clock-skew",
        summary: "Node clocks off by ±2 minutes and drifting; the sentinel's clock 2 minutes behind the store's.",
        faults: ["clock step", "clock drift"]
    ) { seed, profile in
        var w = Build.world(seed: seed, profile: profile, nodes: 4)
        Build.submit(&w, count: 2, chunks: 6)
        var plan = RunPlan(world: w, horizon: .zero + .minutes(15))
        plan.at(.zero, .clockStep(.seconds(Int64(120))), on: .node(0))
        plan.at(.zero, .clockStep(.seconds(Int64(-120))), on: .node(1))
        plan.at(.zero, .clockDrift(ppb: 200_000), on: .node(2))
        // The online and silence cutoffs are the store's `now()`, as in production: a sentinel
        // whose clock is minutes off still sees exactly the nodes the store counts online.
        plan.at(.zero, .clockStep(.seconds(Int64(-120))), on: .sentinel(0))
        plan.expect.noDuplicateWork = true
        plan.expect.noSkippedAssignments = true
        plan.livenessDeadline = .zero + .minutes(15)
        return plan
    }

    // MARK: Access

    /// Private, user and discord jobs on nodes of different owners, with guild churn.
    static let accessControl = Scenario(
        name: "access-control",
        summary: "Private, user-shared and Discord jobs across owners; a member leaves a guild, 64 join another.",
        needs: [.growGuildFilters], faults: ["guild member leaves", "guild members join"]
    ) { seed, profile in
        var w = Build.world(seed: seed, profile: profile, nodes: 6, users: 3)
        // Nodes 0-1: user 0's; 2-3: user 1's, 3 shared with user 2; 4-5: user 2's.
        for n in 0..<6 { w.nodes[n].owner = n / 2 }
        w.nodes[3].permittedUsers = [2]
        w.guilds["guild-1"] = [100_000, 100_002]  // users 0 and 2
        Build.submit(&w, user: 0, count: 1, chunks: 4, access: .private)
        Build.submit(&w, user: 2, count: 1, chunks: 4, start: .seconds(Int64(25)), access: .user)
        Build.submit(&w, user: 2, count: 1, chunks: 4, start: .seconds(Int64(30)), access: .discord, discord: "guild-1")
        Build.submit(&w, user: 1, count: 1, chunks: 4, start: .seconds(Int64(35)), access: .public)
        // guild-2 is one the sentinel learns only through joins (no startup fetch lists it):
        // 64 members none of whom owns a node, then a discord job of user 1 for it, which only
        // user 1's own nodes may take. Today's insert-only directory gives guild-2 a 2-byte
        // filter on the first join; it saturates and admits everyone.
        Build.submit(&w, user: 1, count: 1, chunks: 4, start: .seconds(Int64(45)), access: .discord, discord: "guild-2")
        var plan = RunPlan(world: w, horizon: .zero + .minutes(15))
        for i in 0..<64 {
            plan.at(.milliseconds(Int64(5_000 + 500 * i)), .guild(.memberJoined(guild: "guild-2", member: 300_000 + UInt64(i))))
        }
        plan.at(.seconds(Int64(60)), .guild(.memberLeft(guild: "guild-1", member: 100_000)))
        plan.expect.noDuplicateWork = true
        plan.expect.noSkippedAssignments = true
        plan.livenessDeadline = .zero + .minutes(15)
        return plan
    }

    // MARK: Deploys

    /// Nodes are upgraded one by one from today's version while jobs run.
    static let rollingUpgrade = Scenario(
        name: "rolling-upgrade",
        summary: "Four nodes of today's (unsigned) version upgraded one at a time to the signing version mid-run.",
        faults: ["rolling upgrade"]
    ) { seed, profile in
        rollout(seed: seed, profile: profile, migration: .refuseUnsigned)
    }

    // MARK: Scale

    /// A thousand nodes with random crashes, a hundred jobs: the stand-ins keep it fast.
    static let fleet = Scenario(
        name: "fleet",
        summary: "1,000 nodes crashing at random (mean once a day each), 100 jobs of 100 chunks.",
        faults: ["random node crashes"]
    ) { seed, profile in
        var w = Build.world(seed: seed, profile: profile, nodes: 1_000)
        w.signatures = .standIn
        w.compute = .standIn
        w.nodeCrashMean = .seconds(Int64(86_400))
        Build.submit(&w, count: 100, chunks: 100, start: .seconds(Int64(20)))
        var plan = RunPlan(world: w, horizon: .zero + .minutes(40))
        plan.livenessDeadline = .zero + .minutes(40)
        return plan
    }
}
