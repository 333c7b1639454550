import Engine
import SimHarness
import JobSystem

/// The scenarios of issue 12: one for each guard of the fixed system that no other scenario
/// needs, so that removing the guard breaks an invariant or an expectation somewhere (a guard
/// that is never the only thing between a run and a violation cannot be tested by a run).
extension Catalogue {
    static let guards: [Scenario] = [
        intruder, sentinelRace, sentinelsOutOfStep, fallsSilentMidPass, oddIterations, duplicateDeliveries, lateResult,
        guildCrowd, mixedSnapshot, lostNotifications, deafAfterRestart, backlog, busySentinel,
    ]

    // MARK: Authentication

    /// Every way in that a signature check stops: stale and future timestamps beyond the window,
    /// unknown keys on every node route (the fetch routes too), a body that is not the one
    /// signed, and, correctly signed by registered nodes, a completion of a chunk the sender
    /// does not hold and one with the wrong attempt. Each gets its own refusal (401, or 409 for
    /// the last two); any other answer breaks `authenticated-requests`.
    static let intruder = Scenario(
        name: "intruder",
        summary: "An intruder tries every way in: old and future timestamps, unknown keys on every route, a tampered body, completions without the claim.",
        faults: Attack.intrusions.map(\.rawValue)
    ) { seed, profile in
        var w = Build.world(seed: seed, profile: profile, nodes: 3)
        Build.submit(&w, count: 2, chunks: 12)
        var plan = RunPlan(world: w, horizon: .zero + .minutes(12))
        for round in 0..<3 {
            for (k, attack) in Attack.intrusions.enumerated() {
                plan.at(.milliseconds(Int64(25_000 + 15_000 * round + 500 * k)), .attack(attack))
            }
        }
        plan.expect.noDuplicateWork = true
        plan.livenessDeadline = .zero + .minutes(12)
        return plan
    }

    // MARK: The guarded apply

    /// Two sentinels schedule from the start with far more pending work than free slots, and
    /// the store answers 8 s late, so their passes (a snapshot, then an apply 8 s later)
    /// overlap. Two nodes crash and their claims are reaped, back at the front of the queue:
    /// a snapshot taken just before a reap and one just after plan different chunks onto the
    /// same nodes. Only the guarded apply (the chunk still pending, the node below its
    /// capacity counting what the other sentinel just gave it) keeps one claim per chunk and
    /// every node within its capacity.
    static let sentinelRace = Scenario(
        name: "sentinel-race",
        summary: "Two sentinels race over 120 chunks for 24 slots, statements answered 8 s late, two nodes crash.",
        faults: ["second sentinel", "slow statements", "node crash"]
    ) { seed, profile in
        var w = Build.world(seed: seed, profile: profile, nodes: 6)
        w.sentinels = 2
        Build.submit(&w, count: 6, chunks: 20, spacing: .seconds(Int64(45)))
        var plan = RunPlan(world: w, horizon: .zero + .minutes(30))
        plan.at(.seconds(Int64(21)), .storeSlowness(.seconds(Int64(8))), on: .store)
        plan.at(.seconds(Int64(60)), .crash, on: .node(4))
        plan.at(.seconds(Int64(100)), .crash, on: .node(5))
        plan.at(.seconds(Int64(600)), .storeSlowness(.zero), on: .store)
        plan.livenessDeadline = .zero + .minutes(30)
        return plan
    }

    /// Two sentinels whose passes overlap out of step, with more pending work than free slots,
    /// so that the guarded apply's capacity check is the only thing between the run and a node
    /// beyond its capacity. `sentinel-race` does not get there: both its sentinels wake on the
    /// same notifications, take their snapshots a few milliseconds apart and plan the same
    /// chunks onto the same nodes, and the pending check refuses every row of the second plan.
    /// Here every notification is lost, so each sentinel works on its own fallback timer and
    /// backlog rewake, and the second starts 13 s after the first: their snapshots fall a few
    /// seconds apart while each waits for its apply (statements answered 3 s late). Chunks
    /// complete in between (24 slots, about one a second), so the later snapshot sees slots
    /// the earlier one did not and plans *further* chunks, some onto a node the other plan fills
    /// (ties go to the lowest id): those rows name pending chunks, and only the node's capacity,
    /// counted at the apply, refuses them.
    static let sentinelsOutOfStep = Scenario(
        name: "sentinels-out-of-step",
        summary: "Two sentinels out of step, every notification lost, statements 3 s late: 180 chunks for 24 slots.",
        faults: ["second sentinel", "lost notifications", "slow statements"]
    ) { seed, profile in
        var w = Build.world(seed: seed, profile: profile, nodes: 6)
        Build.submit(&w, count: 3, chunks: 60)
        var plan = RunPlan(world: w, horizon: .zero + .minutes(20))
        plan.at(.zero, .dropNotifications(probability: 1), on: .store)
        plan.at(.seconds(Int64(5)), .storeSlowness(.seconds(Int64(3))), on: .store)
        plan.at(.seconds(Int64(13)), .startSentinel)
        plan.at(.seconds(Int64(600)), .storeSlowness(.zero), on: .store)
        // Nothing crashes or is cut off: two sentinels may plan the same chunk, never run it twice.
        plan.expect.noDuplicateWork = true
        plan.livenessDeadline = .zero + .minutes(20)
        return plan
    }

    /// Nodes fall silent between the sentinel's snapshot and its apply: the store answers
    /// statements 8 s late for two minutes (under the sentinel's 10 s call timeout), ten idle
    /// nodes crash four seconds apart (110-146 s), and a job arrives at 150 s. Whichever pass
    /// takes it, its snapshot offers nodes last heard up to 45 s before, and its apply comes
    /// 8 s later, when the last heartbeat of some of them has left the online window (each
    /// node's heartbeat phase is the seed's; the crashes are spread over more than two
    /// heartbeat periods so that some node always falls in the gap). Only the guarded apply's
    /// re-check of the node on the store's clock keeps their share of the job from dead nodes
    /// (found by the swarm, seed 161).
    static let fallsSilentMidPass = Scenario(
        name: "falls-silent-mid-pass",
        summary: "Nodes fall silent between a snapshot and its apply (statements answered 8 s late).",
        faults: ["slow statements", "node crash"]
    ) { seed, profile in
        var w = Build.world(seed: seed, profile: profile, nodes: 14)
        Build.submit(&w, count: 1, chunks: 16)
        Build.submit(&w, count: 1, chunks: 56, start: .seconds(Int64(150)))
        var plan = RunPlan(world: w, horizon: .zero + .minutes(15))
        for k in 0..<10 { plan.at(.seconds(Int64(110 + 4 * k)), .crash, on: .node(4 + k)) }
        plan.at(.seconds(Int64(140)), .storeSlowness(.seconds(Int64(8))), on: .store)
        plan.at(.seconds(Int64(260)), .storeSlowness(.zero), on: .store)
        plan.livenessDeadline = .zero + .minutes(15)
        return plan
    }

    // MARK: Work

    /// Iteration counts that are not multiples of the chunk size: the last chunk of each job is
    /// short, and seed offsets must still tile the job (the all-at-once check of
    /// `result-aggregation` recomputes each job in one go). No faults: every chunk is assigned
    /// within a debounce and a few round trips, nothing runs twice, nothing planned is skipped.
    static let oddIterations = Scenario(
        name: "odd-iterations",
        summary: "Jobs of 1, 999, 1,001, 2,500 and 7,777 iterations; no faults.",
        faults: []
    ) { seed, profile in
        var w = Build.world(seed: seed, profile: profile, nodes: 4)
        for (k, iterations) in [1, 999, 1_001, 2_500, 7_777].enumerated() {
            // 300 ms apart: some notifications arrive while the sentinel's pass for the one
            // before is in progress, and must wake it again right after.
            w.users[0].submissions.append(
                SubmissionSpec(at: .milliseconds(Int64(20_000 + 300 * k)), config: Build.config(variant: k), iterations: iterations))
        }
        var plan = RunPlan(world: w, horizon: .zero + .minutes(10))
        // 15 chunks for 16 slots: none waits for a slot.
        plan.expect = Build.noFaults(profile, link: w.link)
        plan.livenessDeadline = .zero + .minutes(10)
        return plan
    }

    /// Every message may arrive twice (and late, and a few not at all): completions, their
    /// answers and assignment pushes are duplicated. A duplicated completion is answered as a
    /// duplicate, a duplicated push is the same work: nothing is computed twice and no honest
    /// completion is refused.
    static let duplicateDeliveries = Scenario(
        name: "duplicate-deliveries",
        summary: "Half of all messages delivered twice, some reordered or lost, for ten minutes.",
        faults: ["duplication", "reordering", "loss"]
    ) { seed, profile in
        var w = Build.world(seed: seed, profile: profile, nodes: 4)
        Build.submit(&w, count: 3, chunks: 6, spacing: .seconds(Int64(30)))
        var plan = RunPlan(world: w, horizon: .zero + .minutes(20))
        // A reordered copy is held back 20 to 60 s: some duplicated pushes arrive after their
        // chunk was computed, some answers after the node gave up waiting and re-sent.
        let link = LinkModel(
            loss: 0.05, duplication: 0.5, reorder: 0.2, reorderDelay: .uniform(.seconds(Int64(20)), .seconds(Int64(60))))
        plan.at(.seconds(Int64(5)), .setLink(link))
        plan.at(.seconds(Int64(605)), .setLink(.standard))
        plan.expect.noDuplicateWork = true
        plan.livenessDeadline = .zero + .seconds(Int64(605)) + Build.livenessBound(profile)
        return plan
    }

    /// Late results after a reap: a node is cut off from the store while it computes, long
    /// enough for its claims to be reaped, and the sentinel is down meanwhile, so nobody is
    /// given the reaped chunks before the node's retries deliver its results after the heal.
    /// Results are deterministic: those late results are accepted and nothing is computed
    /// again (a node that stopped retrying, or a store that refused the late results, would
    /// compute them twice).
    static let lateResult = Scenario(
        name: "late-result",
        summary: "A node cut off for 6.5 minutes while computing; its claims reaped; its late results accepted.",
        faults: ["partition", "sentinel crash", "heal", "sentinel restart"]
    ) { seed, profile in
        var w = Build.world(seed: seed, profile: profile, nodes: 3)
        Build.submit(&w, count: 1, chunks: 12)
        var plan = RunPlan(world: w, horizon: .zero + .minutes(16))
        // The cut must outlast a claim's timeout, the renewal window and a reaper period.
        let cut = profile.claimTimeout + profile.claimRenewalWindowOrZero + profile.reaperPeriod + .seconds(30)
        let heal = SimDuration.seconds(Int64(30)) + .microseconds(cut.micros)
        plan.at(.seconds(Int64(30)), .partition(label: "late", from: [.node(0)], to: [.store], oneWay: false))
        plan.at(.seconds(Int64(30)), .crash, on: .sentinel(0))
        plan.at(heal, .heal(label: "late"))
        // The node's retries come within the backoff's cap of the heal; the sentinel after them.
        plan.at(heal + .microseconds(profile.completionRetryMax.micros) + .seconds(Int64(60)), .restart, on: .sentinel(0))
        plan.expect.noDuplicateWork = true
        plan.livenessDeadline = .zero + .minutes(16)
        return plan
    }

    // MARK: Eligibility

    /// Discord jobs among many nodes whose owners are not in the guild: only the members'
    /// nodes may take them (`eligible-assignment`), each to the member node with the most free
    /// slots (`most-free-slots`), and the guild filters' observed false-positive rate stays
    /// within what their design rate allows (`filter-false-positives`). Public jobs arrive at
    /// the same instants, so one snapshot mixes restricted and public chunks (the planner's
    /// heaps must skip the entries its scans left stale), and a `user` job runs beside a node
    /// shared with someone else.
    static let guildCrowd = Scenario(
        name: "guild-crowd",
        summary: "Discord jobs on 40 nodes of 20 owners, four of them in the guild, with public and user jobs beside them.",
        faults: []
    ) { seed, profile in
        var w = Build.world(seed: seed, profile: profile, nodes: 40, users: 20)
        for n in 0..<40 { w.nodes[n].owner = n / 2 }
        // Users 16-19 are in the guild; their 8 nodes (32-39) have 32 slots for the 24 chunks.
        w.guilds["crowd"] = (16..<20).map { 100_000 + UInt64($0) }
        w.guilds["elsewhere"] = (4..<14).map { 100_000 + UInt64($0) }
        Build.submit(&w, user: 16, count: 2, chunks: 6, access: .discord, discord: "crowd")
        Build.submit(&w, user: 19, count: 2, chunks: 6, start: .seconds(Int64(25)), access: .discord, discord: "crowd")
        // Public work at the same instants (it lands on the lowest ids, nodes 0-15).
        Build.submit(&w, user: 5, count: 2, chunks: 8)
        // Node 20 (user 10's) is shared with user 15 only; user 12's `user` job may run on
        // user 12's own nodes (24, 25) and nowhere else.
        w.nodes[20].permittedUsers = [15]
        Build.submit(&w, user: 12, count: 1, chunks: 4, start: .seconds(Int64(30)), access: .user)
        var plan = RunPlan(world: w, horizon: .zero + .minutes(10))
        plan.expect = Build.noFaults(profile, link: w.link)
        // Every guild's filter is probed with 10,000 non-members.
        plan.expect.maxFilterFalsePositiveRate = Expectations.falsePositiveBound(
            designRate: GuildBloomFilter.falsePositiveRate, probes: 10_000)
        plan.livenessDeadline = .zero + .minutes(10)
        return plan
    }

    /// A restricted job's chunks are planned before a public job's in one snapshot: the
    /// planner's scan gives them to the nodes with the most free slots, which leaves those
    /// nodes' entries in the public heaps stale (a free count they no longer have), and the
    /// public chunks that follow must skip them. `guild-crowd` mixes them too, but its guild
    /// members' nodes have the highest ids, so the public chunks never reach their stale
    /// entries. Here user 0 owns every node, so the private job's chunks take the lowest ids,
    /// whose entries the public chunks meet first. To put both jobs in one snapshot in order,
    /// statements are answered 2 s late and the jobs come a second apart behind a one-chunk
    /// job: the private and public jobs are created while the pass for the first is in
    /// progress, and the pass after it takes both (a taken stale entry sends a public chunk to
    /// a node with fewer free slots than the next: `most-free-slots`).
    static let mixedSnapshot = Scenario(
        name: "mixed-snapshot",
        summary: "Private and public jobs in one snapshot, private first, three times (statements 2 s late).",
        faults: ["slow statements"]
    ) { seed, profile in
        var w = Build.world(seed: seed, profile: profile, nodes: 6)
        for round in 0..<3 {
            let start = SimDuration.seconds(Int64(20 + 40 * round))
            Build.submit(&w, count: 1, chunks: 1, start: start)
            Build.submit(&w, count: 1, chunks: 2, start: start + .seconds(Int64(1)), access: .private)
            Build.submit(&w, count: 1, chunks: 4, start: start + .seconds(Int64(2)))
        }
        var plan = RunPlan(world: w, horizon: .zero + .minutes(10))
        let delay = SimDuration.seconds(Int64(2))
        plan.at(.seconds(Int64(10)), .storeSlowness(delay), on: .store)
        // 21 chunks for 24 slots; two passes of two slow round trips each at most.
        plan.expect = Build.noFaults(profile, link: w.link)
        plan.expect.assignmentDelayP99Seconds = Expectations.promptBound(profile, link: w.link, storeDelay: delay)
        plan.livenessDeadline = .zero + .minutes(10)
        return plan
    }

    // MARK: The sentinel's timers

    /// Every notification is lost: the sentinel finds all work on its fallback wake, within one
    /// fallback period (and a few round trips) of its arrival.
    static let lostNotifications = Scenario(
        name: "lost-notifications",
        summary: "Every pending_chunk notification lost; the sentinel works on its 30 s fallback alone.",
        faults: ["lost notifications"]
    ) { seed, profile in
        var w = Build.world(seed: seed, profile: profile, nodes: 4)
        Build.submit(&w, count: 3, chunks: 4, spacing: .seconds(Int64(40)))
        var plan = RunPlan(world: w, horizon: .zero + .minutes(10))
        plan.at(.zero, .dropNotifications(probability: 1), on: .store)
        plan.expect.assignmentDelayP99Seconds = Expectations.fallbackBound(profile, link: w.link)
        plan.expect.noDuplicateWork = true
        plan.expect.noSkippedAssignments = true
        plan.livenessDeadline = .zero + .minutes(10)
        return plan
    }

    /// More pending chunks than one pass takes (the batch of 100), with a free slot for each,
    /// and no notification: the fallback pass takes a batch and, leaving a backlog, wakes the
    /// sentinel again after the debounce, so the rest is assigned one fallback period at most
    /// after its arrival (today's sentinel takes one batch per wake: the rest waits another
    /// period). With notifications flowing, the ones arriving during the first pass would
    /// hide the rule.
    static let backlog = Scenario(
        name: "backlog",
        summary: "One job of 110 chunks on 30 nodes (120 slots), every notification lost: more than a pass's batch.",
        faults: ["lost notifications"]
    ) { seed, profile in
        var w = Build.world(seed: seed, profile: profile, nodes: 30)
        Build.submit(&w, count: 1, chunks: profile.assignmentBatch + 10)
        var plan = RunPlan(world: w, horizon: .zero + .minutes(10))
        plan.at(.zero, .dropNotifications(probability: 1), on: .store)
        plan.expect.assignmentDelayP99Seconds = Expectations.fallbackBound(profile, link: w.link)
        plan.expect.noDuplicateWork = true
        plan.expect.noSkippedAssignments = true
        plan.livenessDeadline = .zero + .minutes(10)
        return plan
    }

    /// Notifications arrive while the sentinel's pass is in progress: statements are answered
    /// 2 s late (a pass takes two of them) and jobs arrive a second apart. A notification that
    /// comes during a pass must wake the sentinel again right after it, so every chunk is
    /// assigned within two passes (a forgotten one waits for the 30 s fallback).
    static let busySentinel = Scenario(
        name: "busy-sentinel",
        summary: "Jobs a second apart while statements take 2 s: notifications arrive during passes.",
        faults: ["slow statements"]
    ) { seed, profile in
        var w = Build.world(seed: seed, profile: profile, nodes: 4)
        Build.submit(&w, count: 5, chunks: 3)
        var plan = RunPlan(world: w, horizon: .zero + .minutes(10))
        let delay = SimDuration.seconds(Int64(2))
        plan.at(.seconds(Int64(10)), .storeSlowness(delay), on: .store)
        // 15 chunks for 16 slots; two passes of two slow round trips each at most.
        plan.expect = Build.noFaults(profile, link: w.link)
        plan.expect.assignmentDelayP99Seconds = Expectations.promptBound(profile, link: w.link, storeDelay: delay)
        plan.livenessDeadline = .zero + .minutes(10)
        return plan
    }

    /// The store restarts while the sentinel's LISTEN is down: the re-LISTEN it sends when the
    /// connection drops reaches a store that is not there. It must ask again after its passes
    /// until LISTEN is acknowledged, and from then on react to notifications within the
    /// debounce and a few round trips (a deaf sentinel works on its 30 s fallback for good).
    static let deafAfterRestart = Scenario(
        name: "deaf-after-restart",
        summary: "The store restarts for 10 s; jobs arriving after it must be assigned as promptly as before.",
        faults: ["store crash", "store restart"]
    ) { seed, profile in
        var w = Build.world(seed: seed, profile: profile, nodes: 4)
        Build.submit(&w, count: 1, chunks: 4)
        Build.submit(&w, count: 3, chunks: 4, start: .seconds(Int64(120)), spacing: .seconds(Int64(40)))
        var plan = RunPlan(world: w, horizon: .zero + .minutes(12))
        plan.at(.seconds(Int64(30)), .crash, on: .store)
        plan.at(.seconds(Int64(40)), .restart, on: .store)
        // From two fallback periods after the restart: by then a pass has re-issued LISTEN.
        plan.expect.assignmentDelayFrom = .zero + .seconds(Int64(40)) + .microseconds(2 * profile.fallbackPeriod.micros)
        plan.expect.assignmentDelayP99Seconds = Expectations.promptBound(profile, link: w.link)
        plan.livenessDeadline = .zero + .minutes(12)
        return plan
    }
}

extension Build {
    /// What a run without faults, with work that fits the fleet's slots, must show: every chunk
    /// assigned within the debounce and a few round trips, nothing computed twice, nothing
    /// planned skipped by the guarded apply.
    static func noFaults(_ profile: Profile, link: LinkModel) -> Expectations {
        var e = Expectations()
        e.assignmentDelayP99Seconds = Expectations.promptBound(profile, link: link)
        e.noDuplicateWork = true
        e.noSkippedAssignments = true
        return e
    }
}

extension Profile {
    /// The claim-renewal window, or zero when claims are not renewed (today's).
    var claimRenewalWindowOrZero: Interval { claimRenewalWindow ?? .seconds(0) }
}
