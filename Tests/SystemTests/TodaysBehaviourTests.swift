import Testing
@testable import JobSystem

/// `Profile.legacy` is today's code: our improvements (`Improvement`) are switched off there,
/// each pinned here against the fixed behaviour beside it.
@Suite("Today's behaviour")
struct TodaysBehaviourTests {
    typealias T = SentinelTests

    /// Today's planner has no reaped-node rule: the reaped chunk goes back to the node with the
    /// most free slots, the hung one, which is how a hung node starves a job.
    @Test func todaysPlannerGivesAReapedChunkBackToItsPreviousNode() {
        let hung = NodeID(T.id(1))
        var s = T.snapshot(chunks: 1, job: T.job(.public), nodes: [T.node(1), T.node(2, running: 1)])
        s.chunks[0].lastNodeID = hung
        #expect(AssignmentPlanner.plan(s, guilds: GuildDirectory(), avoidReapedNode: false).map(\.nodeID) == [hung])
        #expect(AssignmentPlanner.plan(s, guilds: GuildDirectory(), avoidReapedNode: true).map(\.nodeID) == [NodeID(T.id(2))])
    }

    /// Today's sentinel takes one batch per wake: a pass that leaves more than a batch pending
    /// waits for the next notification or the 30 s fallback; ours passes again after 50 ms.
    @Test func todaysSentinelTakesOneBatchPerWake() {
        for (profile, expected) in [(Profile.legacy, Interval.seconds(30)), (Profile.fixed, Interval.milliseconds(50))] {
            var s = Sentinel(profile: profile)
            var effects: [Sentinel.Effect] = []
            let now = Timestamp(unixSeconds: 1_000)
            s.handle(.start, now: now, effects: &effects)
            effects.removeAll()
            s.handle(.wakeTimer, now: now, effects: &effects)
            guard case .call(let id, _) = effects.first else {
                Issue.record("\(profile.name): expected a snapshot call, got \(effects)")
                continue
            }
            let backlog = AssignmentSnapshot(chunks: [], nodes: [], jobs: [], morePending: true)
            effects.removeAll()
            s.handle(.storeReply(callID: id, .snapshot(backlog)), now: now, effects: &effects)
            // The fallback pass goes on to reclaim (legacy) or gauges; answer until the pass ends.
            while case .call(let next, let call)? = effects.first {
                effects.removeAll()
                switch call {
                case .reclaimSilent: s.handle(.storeReply(callID: next, .reclaimed([])), now: now, effects: &effects)
                case .gauges: s.handle(.storeReply(callID: next, .gauges(StoreGauges(pendingChunks: 0, runningChunks: 0, onlineNodes: 0))), now: now, effects: &effects)
                default: Issue.record("\(profile.name): unexpected call \(call)")
                }
            }
            #expect(effects.last == .setWakeTimer(after: expected), "\(profile.name)")
        }
    }

    /// Observed false-positive rate of a directory's filter for `guild` over 10,000 ids that
    /// are members of nothing.
    static func falsePositiveRate(_ d: GuildDirectory, _ guild: String) -> Double {
        let probes = UInt64(900_000_000_000)...900_000_009_999
        return Double(probes.filter { d.mightContain(guild: guild, member: String($0)) }.count) / 10_000
    }

    /// A guild learnt through joins: today's directory gives it a 2-byte filter on the first
    /// join and only inserts, so it saturates; ours grows it and keeps the design rate.
    @Test func guildFiltersGrowInsteadOfSaturating() {
        for grows in [true, false] {
            var d = GuildDirectory(growsFilters: grows)
            for i in 0..<200 { d.apply(.memberJoined(guild: "g", member: 300_000 + UInt64(i))) }
            #expect((0..<200).allSatisfy { d.mightContain(guild: "g", member: String(300_000 + $0)) }, "no false negative")
            let rate = Self.falsePositiveRate(d, "g")
            if grows {
                #expect(rate <= 2 * GuildBloomFilter.falsePositiveRate, "ours: \(rate)")
                #expect(d.rebuilds <= 4, "growth by doubling from 32: 64, 128, 256 (\(d.rebuilds) rebuilds)")
            } else {
                #expect(rate == 1, "today's: \(rate)")
            }
        }
    }

    /// A guild of one member: today's 16-bit filter repeats positions under double hashing and
    /// admits far more than 0.1 % of non-members; ours is sized for at least 32.
    @Test func tinyGuildsKeepTheDesignRate() {
        var ours = GuildDirectory(growsFilters: true)
        var todays = GuildDirectory(growsFilters: false)
        for d in [0, 1] {
            let event = GuildEvent.members(guild: "g", members: [100_002])
            if d == 0 { ours.apply(event) } else { todays.apply(event) }
        }
        #expect(Self.falsePositiveRate(ours, "g") <= 2 * GuildBloomFilter.falsePositiveRate)
        #expect(Self.falsePositiveRate(todays, "g") > 0.01)
    }

    /// Today's config-upsert is a SELECT then an INSERT, separate round trips: two users
    /// submitting one new config at once both miss in the SELECT, and the second INSERT loses
    /// with PostgreSQL's unique violation (409). Ours is one statement: both succeed.
    @Test func todaysConfigUpsertLosesARaceToAUniqueViolation() throws {
        for profile in [Profile.fixed(with: .racyConfigUpsert), .fixed] {
            var bench = HandlerBench(profile)
            var limiter = RateLimiter()
            let request = { (user: UInt64) in
                APIRequest(method: "POST", path: "/config-upsert",
                           body: JSONValue.object(["config": HandlerBench.config]).canonicalBytes,
                           user: StoreFixtures.user(user))
            }
            let first = bench.handlers.begin(request(1), store: &bench.store, limiter: &limiter, now: bench.now)
            let second = bench.handlers.begin(request(2), store: &bench.store, limiter: &limiter, now: bench.now)
            if profile.has(.racyConfigUpsert) {
                guard case .awaiting(let a) = first, case .awaiting(let b) = second else {
                    Issue.record("both SELECTs miss and wait for their INSERT: \(first), \(second)")
                    continue
                }
                #expect(bench.handlers.resume(a, store: &bench.store, now: bench.now).status == 200)
                let lost = bench.handlers.resume(b, store: &bench.store, now: bench.now)
                #expect(lost.status == 409)
                guard case .store(.uniqueViolation(let message))? = lost.error else {
                    Issue.record("expected a unique violation, got \(String(describing: lost.error))")
                    continue
                }
                #expect(message == "jobs_configs_pkey")
                #expect(lost.error?.description == #"duplicate key value violates unique constraint "jobs_configs_pkey""#)
                // A later submission finds the row in its SELECT and succeeds at once.
                guard case .done(let third) = bench.handlers.begin(request(3), store: &bench.store, limiter: &limiter, now: bench.now) else {
                    Issue.record("a found config needs no INSERT")
                    continue
                }
                #expect(third.status == 200)
            } else {
                guard case .done(let a) = first, case .done(let b) = second else {
                    Issue.record("the merged upsert is one statement")
                    continue
                }
                #expect(a.status == 200 && b.status == 200)
            }
        }
    }

    @Test func legacyHasNoImprovementAndFixedProfilesHaveThemAll() {
        #expect(Profile.legacy.improvements.members.isEmpty)
        #expect(Profile.fixed.improvements.members == Improvement.allCases.sorted())
        for d in Defect.allCases {
            #expect(Profile.fixed(with: d).improvements == .all)
        }
    }
}
