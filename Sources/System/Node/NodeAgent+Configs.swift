/// The config and rotation cache (the seeds' `cache.rs`): one fetch per hash however many
/// chunks need it, verified against the hash, parsed once, kept least-recently-used.
extension NodeAgent {
    mutating func needConfig(_ hash: ConfigHash, now: Timestamp, _ effects: inout EffectList) {
        guard configs[hash] == nil else { return }  // ready, or a fetch is already out
        configs[hash] = .fetchingConfig
        start(.fetchConfig(hash), now: now, &effects)
    }

    /// The config's canonical JSON arrived. It must hash to what was asked for: the node runs
    /// what the job's owner submitted, not whatever a broken cache or proxy returned.
    mutating func configFetched(_ opID: UInt64, _ hash: ConfigHash, _ bytes: [UInt8], now: Timestamp, _ effects: inout EffectList) {
        operations[opID] = nil
        guard let json = try? JSONValue.parse(bytes), ConfigHash.of(json, hasher: hasher) == hash,
            let config = try? SimConfig(json: json)
        else {
            counters.invalidFetches += 1
            abandon(hash)
            return
        }
        guard let rotationID = config.rotationId else {
            configReady(hash, config, nil, &effects)
            return
        }
        if let rotation = rotations[rotationID] {
            touchRotation(rotationID)
            configReady(hash, config, rotation, &effects)
        } else {
            configs[hash] = .fetchingRotation(config)
            start(.fetchRotation(id: rotationID, forConfig: hash), now: now, &effects)
        }
    }

    mutating func rotationFetched(
        _ opID: UInt64, _ id: String, _ hash: ConfigHash, _ body: JSONValue?, now: Timestamp, _ effects: inout EffectList
    ) {
        operations[opID] = nil
        guard case .fetchingRotation(let config)? = configs[hash] else { return }
        // The rotation must be the one asked for and fit the config (names only its abilities),
        // or the model would refuse it on every chunk.
        guard let body, let rotation = try? Rotation(json: body), rotation.id == id,
            (try? config.priority(with: rotation)) != nil
        else {
            counters.invalidFetches += 1
            abandon(hash)
            return
        }
        rotations[id] = rotation
        rotationUse.append(id)
        while rotationUse.count > Swift.max(settings.configCacheLimit, 1) { rotations[rotationUse.removeFirst()] = nil }
        configReady(hash, config, rotation, &effects)
    }

    mutating func configReady(_ hash: ConfigHash, _ config: SimConfig, _ rotation: Rotation?, _ effects: inout EffectList) {
        configs[hash] = .ready(config, rotation)
        configUse.append(hash)
        fillSlots(&effects)
        evictConfigs()
    }

    /// Drops least recently used ready configs beyond the limit, never one a queued chunk
    /// still needs (running chunks carry theirs in the compute order).
    mutating func evictConfigs() {
        while configUse.count > settings.configCacheLimit,
            let index = configUse.firstIndex(where: { hash in !queue.contains { $0.configHash == hash } })
        {
            configs[configUse.remove(at: index)] = nil
        }
    }

    mutating func touchConfig(_ hash: ConfigHash) {
        guard let index = configUse.firstIndex(of: hash) else { return }
        configUse.append(configUse.remove(at: index))
    }

    mutating func touchRotation(_ id: String) {
        guard let index = rotationUse.firstIndex(of: id) else { return }
        rotationUse.append(rotationUse.remove(at: index))
    }
}
