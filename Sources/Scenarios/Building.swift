import Engine
import SimHarness
import JobSystem

/// Small builders the scenarios share.
enum Build {
    /// A small DPS config: a 60 s fight, three abilities, one of them AoE. `variant` changes a
    /// damage value so that different variants hash differently.
    static func config(variant: Int = 0, rotationID: String? = nil) -> JSONValue {
        var fields: [String: JSONValue] = [
            "fightLengthSeconds": 60, "targets": 3, "hastePercent": 20, "critChance": 0.25, "critMultiplier": 2,
            "abilities": [
                ["name": "strike", "minDamage": .number(Double(900 + variant)), "maxDamage": 1100, "cooldownMs": 0, "castTimeMs": 1500, "aoe": false],
                ["name": "burst", "minDamage": 4000, "maxDamage": 5000, "cooldownMs": 12000, "castTimeMs": 1000, "aoe": false],
                ["name": "nova", "minDamage": 700, "maxDamage": 900, "cooldownMs": 8000, "castTimeMs": 1500, "aoe": true],
            ],
        ]
        if let rotationID { fields["rotationId"] = .string(rotationID) }
        return .object(fields)
    }

    /// A world of `nodes` nodes owned by user 0 and `users` users (user 0 submits).
    static func world(seed: UInt64, profile: Profile, nodes: Int, users: Int = 1) -> WorldConfig {
        var w = WorldConfig(seed: seed, profile: profile)
        for u in 0..<users { w.users.append(UserSpec(name: "user-\(u)", discordID: 100_000 + UInt64(u))) }
        for n in 0..<nodes {
            var spec = NodeSpec(name: "n\(n)")
            spec.owner = 0
            // Today's system runs today's nodes, which do not sign.
            if profile.has(.unsignedNodes) { spec.version = NodeSpec.legacyVersion }
            w.nodes.append(spec)
        }
        return w
    }

    /// `count` public jobs of `chunks` chunks from user 0, `spacing` apart from `start`.
    static func submit(
        _ w: inout WorldConfig, user: Int = 0, count: Int, chunks: Int, start: SimDuration = .seconds(Int64(20)),
        spacing: SimDuration = .seconds(Int64(1)), access: AccessType = .public, discord: String? = nil
    ) {
        for j in 0..<count {
            var s = SubmissionSpec(
                at: start + spacing * Int64(j), config: config(variant: j % 4), iterations: chunks * 1_000)
            s.accessType = access
            s.discordServerID = discord
            w.users[user].submissions.append(s)
        }
    }

    /// How long the fixed system may take to finish after the last fault heals: a claim may
    /// have to time out and be reaped, the sentinel wake on its fallback, and the work be done
    /// again (chunks are ~20 s; `rounds` of them back to back), with slack for retries.
    static func livenessBound(_ p: Profile, rounds: Int = 3) -> SimDuration {
        let reclaim = p.claimTimeout + p.reaperPeriod + p.fallbackPeriod
        return .microseconds(reclaim.micros) + .seconds(Int64(60 * rounds)) + .seconds(Int64(120))
    }

    /// The same when a claim is held by a node that is alive but whose workers are stuck: the
    /// fixed reaper leaves a live node's claim until `liveClaimLimit` (today's, at the claim
    /// timeout).
    static func livenessBoundHung(_ p: Profile, rounds: Int = 3) -> SimDuration {
        let limit = p.claimRenewalWindow == nil ? p.claimTimeout : p.liveClaimLimit
        let reclaim = limit + p.reaperPeriod + p.fallbackPeriod
        return .microseconds(reclaim.micros) + .seconds(Int64(60 * rounds)) + .seconds(Int64(120))
    }
}
