import Engine
import SimHarness
import JobSystem

/// Faults of the API server, the process between the clients and the store (World+APIServer):
/// it crashes with requests in flight, and its database connections drop mid-request. Under
/// the fixed system nothing may be lost (every job finishes, by the liveness deadline) and
/// nothing counted twice (progress accounting and result aggregation hold), although clients
/// see their requests vanish or fail after their transaction committed and must retry.
extension Catalogue {
    static let apiServerScenarios: [Scenario] = [apiServerCrash, dbConnectionLostMidRequest]

    /// The API server crashes twice while chunks are assigned and completed: the requests it
    /// holds are lost (a completion that committed stays committed; its node times out and
    /// retries, answered as a duplicate), its rate limiter forgets, every assignment channel
    /// closes and the pushes made while it is down go nowhere. The nodes resubscribe with
    /// backoff and learn the chunks they hold from the channel's first message, so work pushed
    /// into the void starts at once rather than after the reaper's five minutes.
    static let apiServerCrash = Scenario(
        name: "api-server-crash",
        summary: "The API server crashes twice with requests in flight (down 15 s, then 2 s); nodes resubscribe and recover pushed work.",
        faults: ["api server crash", "api server restart", "lost pushes", "slow statements"]
    ) { seed, profile in
        var w = Build.world(seed: seed, profile: profile, nodes: 4)
        Build.submit(&w, count: 3, chunks: 20, spacing: .seconds(Int64(20)))
        var plan = RunPlan(world: w, horizon: .zero + .minutes(20))
        // Slow statements around the first crash, so transactions are in flight when it hits.
        plan.at(.seconds(Int64(40)), .storeSlowness(.milliseconds(900)), on: .store)
        plan.at(.seconds(Int64(47)), .crash, on: .apiServer)
        plan.at(.seconds(Int64(50)), .storeSlowness(.zero), on: .store)
        plan.at(.seconds(Int64(62)), .restart, on: .apiServer)
        plan.at(.seconds(Int64(95)), .crash, on: .apiServer)
        plan.at(.seconds(Int64(97)), .restart, on: .apiServer)
        plan.livenessDeadline = .zero + .seconds(Int64(97)) + Build.livenessBound(profile)
        return plan
    }

    /// The API server's database connections fail mid-request: for two minutes a third of its
    /// transactions lose their connection before commit (rolled back, answered 503
    /// `store_error`, which nodes and the portal retry), and twice every connection drops at
    /// once, taking transactions in flight with it (some had committed: their clients are told
    /// 503 all the same and retry into a duplicate) and closing the assignment channels.
    static let dbConnectionLostMidRequest = Scenario(
        name: "db-connection-lost-mid-request",
        summary: "A third of API transactions lose their database connection for 2 minutes; all connections dropped twice.",
        faults: ["lost transactions", "dropped connections"]
    ) { seed, profile in
        var w = Build.world(seed: seed, profile: profile, nodes: 4)
        // Enough work that completions, fetches and pushes flow through the whole fault window.
        Build.submit(&w, count: 3, chunks: 30, spacing: .seconds(Int64(20)))
        var plan = RunPlan(world: w, horizon: .zero + .minutes(20))
        // The submissions (at 20, 40 and 60 s) are answered before the faults: a portal that
        // gets 503 twice gives up, which the submission invariant would count as a refusal.
        plan.at(.seconds(Int64(75)), .loseTransactions(probability: 0.33), on: .store)
        plan.at(.seconds(Int64(110)), .dropStoreConnections, on: .store)
        plan.at(.seconds(Int64(160)), .dropStoreConnections, on: .store)
        plan.at(.seconds(Int64(195)), .loseTransactions(probability: 0), on: .store)
        plan.livenessDeadline = .zero + .seconds(Int64(195)) + Build.livenessBound(profile)
        return plan
    }
}
