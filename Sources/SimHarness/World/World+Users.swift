import Engine
import JobSystem

/// Users and their consoles: identities, Discord links, node claims and permissions. The owner
/// of a node reads its claim code and types it into the portal; the console actor carries that
/// request, so it crosses the same network and handlers as everything else.
extension World {
    /// A user's id: drawn from the world's seed and the user's index, so it is stable per seed.
    static func userID(seed: UInt64, index: Int) -> UserID {
        var rng = Xoshiro256StarStar(seed: seed, stream: streamKey("user-\(index)"))
        return UserID(Identifier.random(using: &rng))
    }

    public func userID(_ index: Int) -> UserID { Self.userID(seed: config.seed, index: index) }

    mutating func registerUsers() {
        for (i, u) in config.users.enumerated() {
            try? store.upsertUser(UserRow(id: userID(i), discordID: u.discordID.map { String($0) }))
        }
    }

    /// Configs left over from earlier use (see `WorldConfig.staleConfigs`).
    mutating func seedStaleConfigs() {
        let then = WorldTime.epoch - .days(8)
        for json in config.staleConfigs {
            let hash = ConfigHash.of(json, hasher: hasher)
            let rotation = json["rotationId"]?.stringValue
            store.now = then
            _ = try? store.upsertConfig(
                NewConfig(hash: hash, canonicalJSON: json.canonicalString, rotationID: rotation), checkThenInsert: false)
        }
        syncStoreClock()
    }

    mutating func requestClaim(_ code: String, node i: Int) {
        guard let owner = config.nodes[i].owner else { return }
        let id = takeRequestID()
        pendingClaims[id] = i
        let body: JSONValue = ["claimCode": .string(code)]
        sim.send(from: consoleActor, to: apiServerActor, .api(id: id, APIRequest(
            method: "POST", path: "/node-claim", body: body.canonicalBytes, user: userID(owner))))
    }

    mutating func consoleReceive(_ e: WorldDelivery) {
        switch e.payload {
        case .apiReply(let id, let response):
            guard let i = pendingClaims.removeValue(forKey: id) else { return }
            if response.status >= 300 {
                // Refused (an ambiguous code, say): the owner tries again at the node's next
                // event. A lost request is retried the same way, since no answer comes.
                nodes[i].claimRequested = false
                return
            }
            grantPermissions(i)
        default:
            break
        }
    }

    /// The owner's grants on a freshly claimed node (the portal writes them directly).
    mutating func grantPermissions(_ i: Int) {
        guard let nodeID = nodeDurable(i).nodeID else { return }
        for u in config.nodes[i].permittedUsers {
            syncStoreClock()
            _ = try? store.grantPermission(node: nodeID, type: .user, target: userID(u).uuidString)
        }
    }
}
