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
            var headers: [String: String] = [:]
            for (k, v) in signed.headers { headers[k] = v }
            return APIRequest(method: "POST", path: "/chunk-complete", headers: headers, body: bytes)
        }
    }
}
