import Engine
import SimHarness
import System

/// Deploys that mix today's sentinel and ours against one store (the design card's blue/green
/// transitions). The store, handlers and nodes run the run's profile; only the sentinel
/// processes differ. Overlapping versions is unsafe while today's unguarded batch update runs:
/// the two `cutover-*` scenarios show it (their plan breaks `single-assignee` even under
/// `fixed`); the plan we recommend, stop then start, and an upgrade that stops today's sentinel
/// in the middle of an assignment lose nothing and assign nothing twice.
extension Catalogue {
    static let deploys: [Scenario] = [cutoverOldToNew, cutoverNewToOld, cutoverPlanned, sentinelUpgradeMidPass]

    /// A world with two sentinel processes, `first` running from the start and `second` from
    /// `overlapFrom`, the first stopped at `firstStops`.
    static func twoVersions(
        seed: UInt64, profile: Profile, first: Profile, second: Profile, overlapFrom: Int64, firstStops: Int64
    ) -> RunPlan {
        var w = Build.world(seed: seed, profile: profile, nodes: 8)
        w.sentinels = 2
        w.sentinelProfiles = [first, second]
        // More pending work than free slots, arriving in bursts both sentinels hear at once.
        Build.submit(&w, count: 6, chunks: 10, spacing: .seconds(Int64(15)))
        var plan = RunPlan(world: w, horizon: .zero + .minutes(20))
        plan.at(.zero, .stopSentinel, on: .sentinel(1))
        plan.at(.seconds(overlapFrom), .restart, on: .sentinel(1))
        plan.at(.seconds(firstStops), .stopSentinel, on: .sentinel(0))
        plan.livenessDeadline = .zero + .minutes(20)
        return plan
    }

    /// Ours starts while today's still schedules (cut-over old → new with an overlap).
    static let cutoverOldToNew = Scenario(
        name: "cutover-old-to-new",
        summary: "Today's sentinel and ours schedule at once for four minutes, then today's is stopped.",
        planBreaks: [.singleAssignee], faults: ["second sentinel version", "sentinel stop"]
    ) { seed, profile in
        twoVersions(seed: seed, profile: profile, first: .legacy, second: profile, overlapFrom: 20, firstStops: 260)
    }

    /// A rollback: today's starts while ours still schedules (cut-over new → old).
    static let cutoverNewToOld = Scenario(
        name: "cutover-new-to-old",
        summary: "A rollback: today's sentinel starts while ours schedules; ours is stopped four minutes later.",
        planBreaks: [.singleAssignee], faults: ["second sentinel version", "sentinel stop"]
    ) { seed, profile in
        twoVersions(seed: seed, profile: profile, first: profile, second: .legacy, overlapFrom: 20, firstStops: 260)
    }

    /// The recommended cut-over: stop today's sentinel, then start ours (a gap of 5 s, which
    /// at worst delays assignments; no overlap).
    static let cutoverPlanned = Scenario(
        name: "cutover-planned",
        summary: "Today's sentinel stopped, ours started 5 s later: nothing lost, nothing assigned twice.",
        faults: ["sentinel stop", "second sentinel version"]
    ) { seed, profile in
        twoVersions(seed: seed, profile: profile, first: .legacy, second: profile, overlapFrom: 55, firstStops: 50)
    }

    /// Today's sentinel stopped with an apply in flight, ours started in its place.
    static let sentinelUpgradeMidPass = Scenario(
        name: "sentinel-upgrade-mid-pass",
        summary: "Today's sentinel stops in the middle of an assignment and ours starts in its place.",
        faults: ["sentinel upgrade mid-apply"]
    ) { seed, profile in
        var w = Build.world(seed: seed, profile: profile, nodes: 6)
        w.sentinelProfiles = [.legacy]
        w.sentinelUpgrade = SentinelUpgrade(index: 0, after: .seconds(Int64(60)), to: profile)
        Build.submit(&w, count: 4, chunks: 10, spacing: .seconds(Int64(30)))
        var plan = RunPlan(world: w, horizon: .zero + .minutes(20))
        plan.livenessDeadline = .zero + .minutes(20)
        return plan
    }
}
