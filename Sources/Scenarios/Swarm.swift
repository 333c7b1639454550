import Engine
import SimHarness
import System

/// Swarm testing (Groce et al.): each seed turns a random subset of fault kinds on and
/// schedules them at random instants in the first ten minutes; every fault heals by minute
/// twelve, and the fixed system must then finish every job. Different seeds explore different
/// fault mixes, which finds more than every fault at once at low rates.
enum Swarm {
    enum Kind: String, CaseIterable {
        case nodeCrash = "node crash"
        case nodeHang = "node hang"
        case partition = "partition"
        case sentinelPartition = "sentinel cut off from the store"
        case lossyLinks = "loss, duplication, reordering"
        case clockSkew = "clock skew"
        case sentinelCrash = "sentinel crash"
        case secondSentinel = "second sentinel"
        case storeRestart = "store restart"
        case slowStore = "slow statements"
        case lostNotifications = "lost notifications"
        case attacks = "attacks"
        case upgrade = "rolling upgrade"
    }

    static let scenario = Scenario(
        name: "swarm",
        summary: "A random subset of thirteen fault kinds per seed, all healed by minute 12; jobs must then finish.",
        faults: Kind.allCases.map(\.rawValue)
    ) { seed, profile in
        var rng = Xoshiro256StarStar(seed: seed, stream: streamKey("swarm"))
        var w = Build.world(seed: seed, profile: profile, nodes: 6)
        Build.submit(&w, count: 3, chunks: 6, spacing: .seconds(Int64(40)))
        var plan = RunPlan(world: w, horizon: .zero + .minutes(30))
        let on = Kind.allCases.filter { _ in rng.bernoulli(0.4) }
        let healBy: Int64 = 720
        func at(_ lo: Int64, _ hi: Int64) -> SimDuration { .seconds(rng.uniform(lo...hi)) }
        for kind in on {
            switch kind {
            case .nodeCrash:
                let n = Int(rng.nextBelow(6))
                let t = at(20, 400)
                plan.at(t, .crash, on: .node(n))
                plan.at(t + at(10, 300), .restart, on: .node(n))
            case .nodeHang:
                let n = Int(rng.nextBelow(6))
                let t = at(20, 400)
                plan.at(t, .hang, on: .node(n))
                plan.at(t + at(60, 300), .unhang, on: .node(n))
            case .partition:
                let n = Int(rng.nextBelow(6))
                let t = at(20, 400)
                plan.at(t, .partition(label: "swarm", from: [.node(n)], to: [.store], oneWay: rng.bernoulli(0.5)))
                plan.at(t + at(10, 300), .heal(label: "swarm"))
            case .sentinelPartition:
                let t = at(20, 400)
                plan.at(t, .partition(label: "sentinel", from: [.sentinel(0)], to: [.store], oneWay: false))
                plan.at(t + at(5, 120), .heal(label: "sentinel"))
            case .lossyLinks:
                plan.at(at(10, 200), .setLink(LinkModel(loss: 0.03, duplication: 0.03, reorder: 0.05)))
                plan.at(.seconds(healBy - 10), .setLink(.standard))
            case .clockSkew:
                plan.at(.zero, .clockStep(.seconds(rng.uniform(-120...120))), on: .node(Int(rng.nextBelow(6))))
                plan.at(.zero, .clockDrift(ppb: rng.uniform(-100_000...100_000)), on: .node(Int(rng.nextBelow(6))))
            case .sentinelCrash:
                let t = at(20, 400)
                plan.at(t, .crash, on: .sentinel(0))
                plan.at(t + at(5, 200), .restart, on: .sentinel(0))
            case .secondSentinel:
                let t = at(10, 300)
                plan.at(t, .startSentinel)
                plan.at(t + at(30, 300), .stopSentinel)
            case .storeRestart:
                let t = at(20, 500)
                plan.at(t, .crash, on: .store)
                plan.at(t + at(1, 60), .restart, on: .store)
            case .slowStore:
                let t = at(20, 500)
                plan.at(t, .storeSlowness(.milliseconds(rng.uniform(100...3_000))), on: .store)
                plan.at(t + at(10, 120), .storeSlowness(.zero), on: .store)
            case .lostNotifications:
                let t = at(20, 500)
                plan.at(t, .dropNotifications(probability: 0.5), on: .store)
                plan.at(t + at(10, 120), .dropNotifications(probability: 0), on: .store)
            case .attacks:
                for a in Attack.allCases { plan.at(at(30, 600), .attack(a)) }
            case .upgrade:
                let n = Int(rng.nextBelow(6))
                plan.at(at(30, 600), .upgradeNode(version: NodeSpec.currentVersion), on: .node(n))
            }
        }
        plan.actions.sort { ($0.at, $0.target.description, $0.action.description) < ($1.at, $1.target.description, $1.action.description) }
        plan.livenessDeadline = .zero + .seconds(healBy) + Build.livenessBound(profile, rounds: 4)
        plan.horizon = plan.livenessDeadline!
        return plan
    }
}
