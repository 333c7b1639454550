import Engine
import JobSystem

/// A sentinel process in the world: the System's `Sentinel` state machine, its one wake timer,
/// and its connection to the store.
struct SentinelHost {
    let actor: ActorID
    /// The version this process runs (`WorldConfig.sentinelProfiles`, changed by an upgrade).
    var profile: Profile
    /// Nil while crashed or stopped.
    var sentinel: Sentinel?
    var wakeHandle: EventHandle = .none
    /// The mid-pass upgrade has happened (it happens once).
    var upgraded = false
}

extension World {
    mutating func addSentinel() {
        let i = sentinels.count
        let actor = sim.addActor(named: "sentinel-\(i)")
        roles.append(.sentinel(i))
        let version = i < config.sentinelProfiles.count ? config.sentinelProfiles[i] : nil
        sentinels.append(SentinelHost(actor: actor, profile: version ?? config.profile, sentinel: nil))
        startSentinel(i)
    }

    /// Boots a sentinel: rebuild guild filters (the bot's startup fetch), LISTEN, arm the timer.
    mutating func startSentinel(_ i: Int) {
        sentinels[i].sentinel = Sentinel(profile: sentinels[i].profile)
        for (guild, members) in currentGuilds() {
            feedSentinel(i, .guild(.members(guild: guild, members: members)))
        }
        feedSentinel(i, .start)
    }

    func currentGuilds() -> [(String, [UInt64])] {
        observer.guildMembers.keys.sorted().map { ($0, observer.guildMembers[$0]!) }
    }

    mutating func deliverGuild(_ event: GuildEvent, to i: Int) {
        feedSentinel(i, .guild(event))
    }

    mutating func sentinelReceive(_ i: Int, _ e: WorldDelivery) {
        switch e.payload {
        case .wake: feedSentinel(i, .wakeTimer)
        case .storeReply(let id, let reply): feedSentinel(i, .storeReply(callID: id, reply))
        case .notify(let n): feedSentinel(i, .notification(n))
        case .listenAck: feedSentinel(i, .listening)
        case .listenLost: feedSentinel(i, .listenLost)
        case .control(let action): apply(action, on: .sentinel(i))
        default: preconditionFailure("sentinel got \(e.payload.kind)")
        }
    }

    mutating func feedSentinel(_ i: Int, _ input: Sentinel.Input) {
        guard sentinels[i].sentinel != nil else { return }
        let actor = sentinels[i].actor
        let now = self.now(actor)
        sentinelEffects.removeAll(keepingCapacity: true)
        sentinels[i].sentinel!.handle(input, now: now, effects: &sentinelEffects)
        for effect in sentinelEffects {
            switch effect {
            case .listen:
                sim.send(from: actor, to: storeActor, .listen)
            case .setWakeTimer(let after):
                sim.cancel(sentinels[i].wakeHandle)
                sentinels[i].wakeHandle = sim.setTimer(for: actor, after: WorldTime.duration(after), .wake)
            case .call(let id, let call):
                sim.send(from: actor, to: storeActor, .storeCall(id: id, call))
                if case .apply = call, upgradeDue(i) {
                    upgradeMidApply(i)
                    return
                }
            }
        }
    }

    /// Whether sentinel `i` is the one `WorldConfig.sentinelUpgrade` replaces, now.
    func upgradeDue(_ i: Int) -> Bool {
        guard let u = config.sentinelUpgrade, u.index == i, !sentinels[i].upgraded else { return false }
        return sim.now >= .zero + u.after
    }

    /// Stops sentinel `i` with its apply in flight (a crash of its process, recorded as a fault)
    /// and schedules the new version's start in its place.
    mutating func upgradeMidApply(_ i: Int) {
        guard let u = config.sentinelUpgrade else { return }
        apply(.crash, on: .sentinel(i))
        sentinels[i].upgraded = true
        sentinels[i].profile = u.to
        sim.schedule(at: sim.now + u.restartAfter, for: sentinels[i].actor, .control(.restart))
    }

    /// Read access for tests and reports.
    public func sentinel(_ i: Int) -> Sentinel? { sentinels[i].sentinel }
}
