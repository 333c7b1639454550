/// Chunk work: accepting pushes, the worker slots and their queue, and reporting results.
extension NodeAgent {
    mutating func receive(_ assignment: ChunkAssignment, now: Timestamp, _ effects: inout EffectList) {
        counters.assignmentsReceived += 1
        let key = ChunkKey(chunkID: assignment.chunkID, attempt: assignment.attempt)
        // Realtime may deliver an update twice; the same claim is the same work.
        guard !active.contains(key), !finished.contains(key) else {
            counters.duplicateAssignments += 1
            return
        }
        active.insert(key)
        queue.append(assignment)
        needConfig(assignment.configHash, now: now, &effects)
        fillSlots(&effects)
    }

    /// Starts queued chunks whose config is ready, oldest first, while slots are free. A chunk
    /// still waiting for its config does not hold back later ones whose config is at hand:
    /// that would idle cores on one slow fetch.
    mutating func fillSlots(_ effects: inout EffectList) {
        while running.count < settings.workerSlots {
            guard case let (index, config, rotation)? = firstReadyInQueue() else { return }
            let assignment = queue.remove(at: index)
            touchConfig(assignment.configHash)
            running.append(assignment)
            counters.computationsStarted += 1
            effects.append(.startCompute(ComputeOrder(assignment: assignment, config: config, rotation: rotation)))
        }
    }

    /// The first queued chunk whose config is ready, with that config: one table lookup per
    /// chunk looked at (finding the index, then looking its config up again, took two for the
    /// chunk started, about 400 instructions each).
    private func firstReadyInQueue() -> (index: Int, config: SimConfig, rotation: Rotation?)? {
        for index in queue.indices {
            if case .ready(let config, let rotation)? = configs[queue[index].configHash] { return (index, config, rotation) }
        }
        return nil
    }

    mutating func computed(_ key: ChunkKey, _ result: ChunkResult, now: Timestamp, _ effects: inout EffectList) {
        guard let index = running.firstIndex(where: { $0.chunkID == key.chunkID && $0.attempt == key.attempt }) else {
            counters.unexpectedComputeResults += 1
            return
        }
        running.remove(at: index)
        counters.computationsFinished += 1
        start(.complete(key, result), now: now, &effects)
        fillSlots(&effects)
    }

    mutating func completionTaken(_ opID: UInt64, _ key: ChunkKey, _ body: JSONValue?) {
        completionTaken(opID, key, duplicate: body?["duplicate"]?.boolValue == true)
    }

    mutating func completionTaken(_ opID: UInt64, _ key: ChunkKey, duplicate: Bool) {
        operations[opID] = nil
        counters.completionsAccepted += 1
        if duplicate { counters.completionsDuplicate += 1 }
        forget(key)
    }

    /// The claim is done with (reported or given up): a later push of it is a duplicate.
    mutating func forget(_ key: ChunkKey) {
        active.remove(key)
        finished.insert(key)
    }

    /// The config (or its rotation) cannot be had: drop the chunks waiting for it. The server
    /// reaps their claims and assigns them again, perhaps to a node that can run them. They are
    /// not remembered as finished, so a new push of the same claim is tried afresh.
    mutating func abandon(_ hash: ConfigHash) {
        configs[hash] = nil
        configUse.removeAll { $0 == hash }
        let dropped = queue.filter { $0.configHash == hash }
        queue.removeAll { $0.configHash == hash }
        counters.chunksAbandoned += dropped.count
        for assignment in dropped { active.remove(ChunkKey(chunkID: assignment.chunkID, attempt: assignment.attempt)) }
    }
}
