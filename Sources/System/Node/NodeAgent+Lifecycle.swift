/// Registration and heartbeats: how the node gets and keeps its place in the fleet.
extension NodeAgent {
    /// Starts registering unless a registration is already under way. `becauseUnknown`: the
    /// server no longer knows the key (its unclaimed node was cleaned up), so the id is stale.
    mutating func register(now: Timestamp, _ effects: inout EffectList, becauseUnknown: Bool = false) {
        guard registration == nil else { return }
        if becauseUnknown {
            counters.reRegistrations += 1
            dropChannel(&effects)  // subscribed under the old id
            if durable.nodeID != nil {
                durable.nodeID = nil
                effects.append(.persist(durable))
            }
            // Heartbeats resume once the new registration is answered.
            effects.append(.cancelTimer(.heartbeat))
        }
        registration = start(.register, now: now, &effects)
    }

    mutating func registered(_ opID: UInt64, _ body: JSONValue?, now: Timestamp, _ effects: inout EffectList) {
        guard let text = body?["id"]?.stringValue, let id = NodeID(uuidString: text) else {
            // A 2xx we cannot read is as good as a failure.
            failed(opID, .transient("unreadable node-register answer"), now: now, &effects)
            return
        }
        registered(
            opID, id: id, claimCode: body?["claimCode"]?.stringValue, claimed: body?["claimed"]?.boolValue, now: now, &effects)
    }

    /// The registration's answer as read (from the tree, or from its bytes by
    /// `RequestHandlers.readRegistrationAnswer`): a missing claim code keeps the one it has.
    mutating func registered(
        _ opID: UInt64, id: NodeID, claimCode: String?, claimed: Bool?, now: Timestamp, _ effects: inout EffectList
    ) {
        operations[opID] = nil
        registration = nil
        durable.nodeID = id
        durable.claimCode = claimCode ?? durable.claimCode
        isClaimed = claimed
        effects.append(.persist(durable))
        heartbeat(now: now, &effects)
        subscribe(now: now, &effects)
    }

    /// Sends a heartbeat and arms the next one. Without a node id (registration under way) it
    /// does nothing: the registration's answer restarts the heartbeats.
    mutating func heartbeat(now: Timestamp, _ effects: inout EffectList) {
        guard durable.nodeID != nil else { return }
        start(.heartbeat, now: now, &effects)
        effects.append(.setTimer(.heartbeat, after: settings.heartbeatInterval))
    }

    mutating func heartbeatAcknowledged(_ opID: UInt64, _ body: JSONValue?) {
        operations[opID] = nil
        heartbeatTaken()
    }

    /// What an accepted heartbeat tells, its operation already removed.
    mutating func heartbeatTaken() {
        counters.heartbeatsAcknowledged += 1
        // Only claimed nodes may heartbeat, so an accepted heartbeat proves the claim.
        isClaimed = true
    }
}
