import Engine
import JobSystem

/// The attacker: the environment actor sends requests no honest node would. Any of them
/// accepted breaks `authenticated-requests`.
extension World {
    mutating func launch(_ attack: Attack) {
        guard let request = craft(attack) else {
            observer.measures.attacksWithoutTarget += 1
            return
        }
        sim.send(from: environment, to: apiServerActor, .api(id: takeRequestID(), request))
    }

    func craft(_ attack: Attack) -> APIRequest? {
        switch attack {
        case .staleTimestamp, .futureTimestamp, .tamperedBody:
            guard let me = registeredNodes().first else { return nil }
            let window = config.profile.signatureWindow.micros / 1_000_000
            let skew: Int64 = attack == .staleTimestamp ? -(window + 60) : attack == .futureTimestamp ? window + 60 : 0
            let body = Array(#"{"computing":[]}"#.utf8)
            let sent = attack == .tamperedBody ? Array("{}".utf8) : body
            return signed("POST", "/node-heartbeat", body: body, sending: sent, by: me.seed, skew: skew)
        case .unknownKeyHeartbeat:
            return signed("POST", "/node-heartbeat", body: Array("{}".utf8), by: Self.intruderSeed)
        case .unknownKeyConfigFetch:
            guard let hash = store.allJobs.first?.configHash else { return nil }
            return signed("GET", "/config-fetch", query: ["hash": hash.hex], body: [], by: Self.intruderSeed)
        case .unknownKeyRotationFetch:
            return signed("GET", "/rotation-fetch", query: ["id": "opener"], body: [], by: Self.intruderSeed)
        case .completedByAnother, .completedOtherAttempt:
            let completed = store.allJobs.lazy.flatMap { self.store.chunks(ofJob: $0.id) }
                .first { $0.status == .completed && $0.nodeID != nil }
            guard let chunk = completed, let completer = chunk.nodeID else { return nil }
            let nodes = registeredNodes()
            let signer = attack == .completedByAnother
                ? nodes.first(where: { $0.id != completer }) : nodes.first(where: { $0.id == completer })
            guard let signer, let result = fittingResult(for: chunk) else { return nil }
            let attempt = chunk.attempt + (attack == .completedOtherAttempt ? 1 : 0)
            let body = JSONValue.object([
                "chunkId": .string(chunk.id.uuidString), "attempt": .number(Double(attempt)), "result": result.json,
            ]).canonicalBytes
            return signed("POST", "/chunk-complete", body: body, by: signer.seed)
        case .unknownKeyCompletion, .completionNotHeld, .wrongAttempt:
            guard let chunk = store.runningChunks().first, let holder = chunk.nodeID else { return nil }
            let nodes = registeredNodes()
            let seed: [UInt8]
            var attempt = chunk.attempt
            switch attack {
            case .unknownKeyCompletion: seed = Self.intruderSeed
            case .completionNotHeld:
                guard let other = nodes.first(where: { $0.id != holder }) else { return nil }
                seed = other.seed
            default:
                guard let own = nodes.first(where: { $0.id == holder }) else { return nil }
                seed = own.seed
                attempt += 1
            }
            guard let result = fittingResult(for: chunk) else { return nil }
            let body = JSONValue.object([
                "chunkId": .string(chunk.id.uuidString), "attempt": .number(Double(attempt)), "result": result.json,
            ]).canonicalBytes
            return signed("POST", "/chunk-complete", body: body, by: seed)
        case .replayedHeartbeat:
            return capturedHeartbeat
        case .forgedCompletion, .unsignedCompletion:
            // A chunk running somewhere and the node it runs on, else any unfinished chunk and
            // any registered node: the attacker claims to be that node.
            let unfinished = store.allJobs.lazy.filter { $0.status != .completed }
                .flatMap { store.chunks(ofJob: $0.id) }.first { $0.status != .completed }
            guard let chunk = store.runningChunks().first ?? unfinished,
                let node = chunk.nodeID.flatMap({ store.node($0) }) ?? store.allNodes.first
            else { return nil }
            var tally = DamageTally(fightLengthSeconds: 1)
            for _ in 0..<chunk.iterations { tally.add(1) }
            var fields: [String: JSONValue] = [
                "chunkId": .string(chunk.id.uuidString), "attempt": .number(Double(chunk.attempt)),
                "result": ChunkResult(tally: tally).json,
            ]
            if attack == .unsignedCompletion {
                fields["publicKey"] = .string(node.publicKey.base64)
                return APIRequest(method: "POST", path: "/chunk-complete", body: JSONValue.object(fields).canonicalBytes)
            }
            let bytes = JSONValue.object(fields).canonicalBytes
            // Signed with the attacker's own key, under the victim's public key.
            let forger = RequestSigner(signer: Ed25519().makeSigner(seed: [UInt8](repeating: 7, count: 32)), hasher: hasher)
            var signed = forger.sign(method: "POST", path: "/chunk-complete", body: bytes, unixSeconds: now(environment).unixSeconds)
            signed.key = node.publicKey
            var headers: APIHeaders = [:]
            for (k, v) in signed.headers { headers[k] = v }
            return APIRequest(method: "POST", path: "/chunk-complete", headers: headers, body: bytes)
        }
    }

    /// The intruder's own key seed (registered by no node).
    static let intruderSeed = [UInt8](repeating: 9, count: 32)

    /// The world's nodes the store knows, with their key seeds, in node order.
    func registeredNodes() -> [(id: NodeID, seed: [UInt8])] {
        nodes.compactMap { host in
            let key = scheme.makeSigner(seed: host.durable.keySeed).publicKey
            return store.node(publicKey: key).map { ($0.id, host.durable.keySeed) }
        }
    }

    /// A request signed with `seed`'s key at the environment's clock plus `skew` seconds, over
    /// `body`; it carries `sending` (the same body unless tampered with).
    func signed(
        _ method: String, _ path: String, query: [String: String] = [:], body: [UInt8], sending: [UInt8]? = nil,
        by seed: [UInt8], skew: Int64 = 0
    ) -> APIRequest {
        let signer = RequestSigner(signer: scheme.makeSigner(seed: seed), hasher: hasher)
        let headers = signer.sign(method: method, path: path, body: body, unixSeconds: now(environment).unixSeconds + skew)
        var fields: APIHeaders = [:]
        for (k, v) in headers.headers { fields[k] = v }
        return APIRequest(method: method, path: path, query: query, headers: fields, body: sending ?? body)
    }

    /// A result the chunk-complete handler cannot tell from a real one by its shape: the
    /// chunk's iterations, its config's fight length, a damage every config allows.
    func fittingResult(for chunk: ChunkRow) -> ChunkResult? {
        guard let row = store.config(chunk.configHash), let json = try? JSONValue.parse(row.canonicalJSON),
            let config = try? SimConfig(json: json)
        else { return nil }
        var tally = DamageTally(fightLengthSeconds: config.fightLengthSeconds)
        for _ in 0..<chunk.iterations { tally.add(1) }
        return ChunkResult(tally: tally)
    }
}
