import Engine
import JobSystem

/// A portal user in the world: the System's `PortalUser` (submissions and 2 s polling) and its
/// timers. Its observations feed the invariants on what users see.
struct PortalHost {
    let actor: ActorID
    var user: PortalUser
    var timers: [PortalTimer: EventHandle] = [:]
    /// Failures and anomalies already reported to the observer.
    var reportedFailures = 0
    var reportedAnomalies = 0
}

extension World {
    mutating func addPortal(_ spec: UserSpec, index: Int) {
        let i = portals.count
        let actor = sim.addActor(named: "portal-\(spec.name)")
        roles.append(.portal(i))
        let submissions = spec.submissions.map {
            JobSubmission(
                config: $0.config, iterations: $0.iterations, accessType: $0.accessType,
                discordServerID: $0.discordServerID, at: WorldTime.timestamp(SimInstant.zero + $0.at))
        }
        let settings = PortalUser.Settings(
            userID: userID(index), profile: config.profile, pollInterval: config.pollInterval,
            requestTimeout: config.requestTimeout)
        portals.append(PortalHost(actor: actor, user: PortalUser(settings: settings, submissions: submissions)))
        feedPortal(i, .start)
    }

    mutating func portalReceive(_ i: Int, _ e: WorldDelivery) {
        switch e.payload {
        case .apiReply(let id, let response): feedPortal(i, .response(requestID: id, response))
        case .portalTimer(let t):
            portals[i].timers[t] = nil
            feedPortal(i, .timer(t))
        case .control: break
        default: preconditionFailure("portal got \(e.payload.kind)")
        }
    }

    mutating func feedPortal(_ i: Int, _ input: PortalUser.Input) {
        let actor = portals[i].actor
        let now = self.now(actor)
        portalEffects.removeAll(keepingCapacity: true)
        portals[i].user.handle(input, now: now, effects: &portalEffects)
        for effect in portalEffects {
            switch effect {
            case .send(let id, let request):
                sim.send(from: actor, to: apiServerActor, .api(id: id, request))
            case .setTimer(let t, let after):
                if let h = portals[i].timers[t] { sim.cancel(h) }
                portals[i].timers[t] = sim.setTimer(for: actor, after: WorldTime.duration(after), .portalTimer(t))
            case .cancelTimer(let t):
                if let h = portals[i].timers.removeValue(forKey: t) { sim.cancel(h) }
            }
        }
        reportPortalObservations(i)
    }

    /// Hands new submission failures and anomalies to the invariants.
    mutating func reportPortalObservations(_ i: Int) {
        let failures = portals[i].user.submissionFailures
        if failures.count > portals[i].reportedFailures {
            for f in failures[portals[i].reportedFailures...] {
                // A refusal by the server breaks the invariant; a request lost twice on a lossy
                // network, or answered 503 twice while the store was unreachable, is the
                // infrastructure's doing and only measured.
                if let status = f.status, status != 503 { observer.noteSubmission(ok: false, reason: f.description) }
                else { observer.measures.submissionsLost += 1 }
            }
            portals[i].reportedFailures = failures.count
        }
        let anomalies = portals[i].user.anomalies
        if anomalies.count > portals[i].reportedAnomalies {
            for a in anomalies[portals[i].reportedAnomalies...] { observer.notePortalAnomaly(a) }
            portals[i].reportedAnomalies = anomalies.count
        }
    }

    public func portalUser(_ i: Int) -> PortalUser { portals[i].user }
    public var portalCount: Int { portals.count }
}
