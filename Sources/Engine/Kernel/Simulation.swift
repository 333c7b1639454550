import CPrefetch

/// The deterministic simulation kernel: virtual time, one event queue, the actors' liveness,
/// clocks and random streams, and the simulated network.
///
/// Shaped like swift-nio's `EmbeddedEventLoop`: synchronous and single-threaded; the caller
/// pulls events one at a time with `next()` and dispatches them to its processes, which react
/// by setting timers and sending messages through this value. Payloads are plain data (an enum
/// of the world's messages), not closures, so an event costs no allocation and every event can
/// be folded into the run digest and written to a trace.
///
/// Same seed and same calls give the same events in the same order, byte for byte.
public struct Simulation<Payload: TraceablePayload> {
    @usableFromInline struct Envelope {
        @usableFromInline var actor: Int32
        @usableFromInline var from: Int32
        @usableFromInline var incarnation: UInt32
        @usableFromInline var kind: EventKind
        @usableFromInline var payload: Payload
        @inlinable init(actor: Int32, from: Int32, incarnation: UInt32, kind: EventKind, payload: Payload) {
            self.actor = actor
            self.from = from
            self.incarnation = incarnation
            self.kind = kind
            self.payload = payload
        }
    }

    /// Per-actor state the kernel owns. Kept in parallel arrays (struct of arrays) so the hot
    /// path touches only what it reads.
    @usableFromInline var up: [Bool] = []
    @usableFromInline var incarnations: [UInt32] = []
    @usableFromInline var clocks: [LocalClock] = []
    /// Each actor's own stream, for its decisions (compute times, backoff jitter, ...).
    public var rngs: [Xoshiro256StarStar] = []
    /// Each actor's network stream: the network's decisions about messages it sends.
    @usableFromInline var netRngs: [Xoshiro256StarStar] = []
    public private(set) var names: [String] = []
    /// Actors the per-actor arrays have room for (see `reserveActors`).
    var actorCapacity = 0

    @usableFromInline var queue = EventQueue<Envelope>()
    @usableFromInline var _now: SimInstant = .zero
    public var now: SimInstant { _now }
    public let seed: UInt64
    public var network = SimNetwork()
    /// Digest of every delivered event so far.
    @usableFromInline var _digest: TraceDigest = TraceDigest()
    public var digest: TraceDigest { _digest }
    /// Events delivered to the dispatcher (timers, messages, control events).
    @usableFromInline var _eventsDelivered: UInt64 = 0
    public var eventsDelivered: UInt64 { _eventsDelivered }
    /// Timers dropped because their actor crashed after setting them.
    @usableFromInline var _timersLostToCrash: UInt64 = 0
    public var timersLostToCrash: UInt64 { _timersLostToCrash }

    public init(seed: UInt64) {
        self.seed = seed
    }

    // MARK: Actors

    /// Registers an actor. Its random streams are keyed by `name`, so they do not depend on how
    /// many actors were added before it: adding an actor never shifts another's draws.
    public mutating func addActor(named name: String) -> ActorID {
        let id = ActorID(up.count)
        let key = streamKey(name)
        if up.count == actorCapacity { reserveActors(up.count + up.count / 8 + 16) }
        up.append(true)
        incarnations.append(0)
        clocks.append(LocalClock())
        rngs.append(Xoshiro256StarStar(seed: seed, stream: key))
        netRngs.append(Xoshiro256StarStar(seed: seed, stream: key ^ 0x4E45_5457_4F52_4B00))  // "NETWORK"
        names.append(name)
        network.ensureActor(id)
        return id
    }

    public var actorCount: Int { up.count }

    /// Room for `n` actors in the per-actor arrays. `addActor` grows them by an eighth when they
    /// are full, not by doubling: a fleet's actors are added once, at the start, and the
    /// doubling's unused half (up to 100 bytes per actor) would stay for the whole run.
    mutating func reserveActors(_ n: Int) {
        actorCapacity = n
        up.reserveCapacity(n)
        incarnations.reserveCapacity(n)
        clocks.reserveCapacity(n)
        rngs.reserveCapacity(n)
        netRngs.reserveCapacity(n)
        names.reserveCapacity(n)
        network.reserveActors(n)
    }

    @inlinable public func isUp(_ a: ActorID) -> Bool { up[Int(a.index)] }

    /// How many times the actor has crashed.
    public func incarnation(of a: ActorID) -> UInt32 { incarnations[Int(a.index)] }

    /// Crashes an actor: it stops receiving messages and every timer it set is lost. Its
    /// volatile state is the dispatcher's to discard (see `ProcessSlot`).
    public mutating func crash(_ a: ActorID) {
        let i = Int(a.index)
        guard up[i] else { return }
        up[i] = false
        incarnations[i] &+= 1
    }

    /// Brings a crashed actor back; the dispatcher rebuilds its volatile state from durable state.
    public mutating func restart(_ a: ActorID) {
        up[Int(a.index)] = true
    }

    // MARK: Clocks

    /// The actor's local reading of the current time.
    @inlinable public func localTime(of a: ActorID) -> SimInstant {
        clocks[Int(a.index)].local(at: now)
    }

    public func clock(of a: ActorID) -> LocalClock { clocks[Int(a.index)] }

    /// Asks the CPU for actor `a`'s clock and network stream, which its handling will read (its
    /// local time) and advance (the latency of each message it sends), so that they arrive
    /// while it is handled instead of each being waited for where it is used. At 10,000 nodes a
    /// node's entries are cold at every node event: the stream's load in `nextBelow` was 2 % of
    /// a fleet run's samples, the clock's 0.4 %. A hint only: it changes nothing but timing.
    @inlinable public func prefetchActorState(_ a: ActorID) {
        let i = Int(a.index)
        clocks.withUnsafeBufferPointer { cprefetch_read($0.baseAddress! + i) }
        netRngs.withUnsafeBufferPointer { cprefetch_read($0.baseAddress! + i) }
    }

    /// Asks the CPU for the kernel's own entries of actor `a` that delivering an event to it
    /// reads (`nextHeader`: whether it is up, its incarnation for a timer), for a dispatcher
    /// that knows (`peekNext`) which actor the next event is for. A hint only.
    @inlinable public func prefetchDeliveryState(_ a: ActorID) {
        let i = Int(a.index)
        up.withUnsafeBufferPointer { cprefetch_read($0.baseAddress! + i) }
        incarnations.withUnsafeBufferPointer { cprefetch_read($0.baseAddress! + i) }
    }

    public mutating func stepClock(of a: ActorID, by delta: SimDuration) {
        clocks[Int(a.index)].step(by: delta, at: now)
    }

    public mutating func setDrift(of a: ActorID, ppb: Int64) {
        clocks[Int(a.index)].setDrift(ppb: ppb, at: now)
    }

    // MARK: Scheduling

    /// Sets a timer that fires after `delay` as measured by the actor's own clock. Lost if the
    /// actor crashes before it fires.
    @inlinable @discardableResult
    public mutating func setTimer(for a: ActorID, after delay: SimDuration, _ payload: consuming Payload) -> EventHandle {
        let i = Int(a.index)
        let real = clocks[i].virtualDuration(for: delay)
        return queue.schedule(
            at: now.nanoseconds &+ max(0, real.nanoseconds),
            Envelope(actor: a.index, from: a.index, incarnation: incarnations[i], kind: .timer, payload: payload))
    }

    /// Schedules a control event for an actor at a virtual instant (a scenario step or a fault).
    /// Delivered whether or not the actor is up.
    @inlinable @discardableResult
    public mutating func schedule(at t: SimInstant, for a: ActorID, _ payload: consuming Payload) -> EventHandle {
        queue.schedule(
            at: max(now.nanoseconds, t.nanoseconds),
            Envelope(actor: a.index, from: a.index, incarnation: 0, kind: .control, payload: payload))
    }

    @inlinable @discardableResult
    public mutating func cancel(_ h: EventHandle) -> Bool { queue.cancel(h) }

    @inlinable public func isPending(_ h: EventHandle) -> Bool { queue.isPending(h) }

    /// Sends a message over the simulated network. Returns how many copies are in flight
    /// (0 if lost or cut by a partition, 2 if duplicated).
    @inlinable @discardableResult
    public mutating func send(from: ActorID, to: ActorID, _ payload: consuming Payload) -> Int {
        let routing = network.route(from: from, to: to, rng: &netRngs[Int(from.index)])
        switch routing {
        case .lost, .partitioned:
            return 0
        case .deliver(let first, let second):
            let env = Envelope(actor: to.index, from: from.index, incarnation: 0, kind: .message, payload: payload)
            if let second {
                _ = queue.schedule(at: now.nanoseconds &+ first.nanoseconds, copy env)
                _ = queue.schedule(at: now.nanoseconds &+ second.nanoseconds, consume env)
                return 2
            }
            _ = queue.schedule(at: now.nanoseconds &+ first.nanoseconds, consume env)
            return 1
        }
    }

    /// Sends a message that takes exactly `latency`, bypassing the link model and partitions
    /// (for channels the scenario controls itself). Still dropped if the receiver is down.
    @inlinable
    public mutating func deliver(from: ActorID, to: ActorID, after latency: SimDuration, _ payload: consuming Payload) {
        _ = queue.schedule(
            at: now.nanoseconds &+ latency.nanoseconds,
            Envelope(actor: to.index, from: from.index, incarnation: 0, kind: .message, payload: payload))
    }

    // MARK: Running

    /// Time of the next event that would be delivered or discarded, if any.
    @inlinable public mutating func nextEventTime() -> SimInstant? {
        queue.peekTime().map { SimInstant(nanoseconds: $0) }
    }

    /// Whether no events are left.
    public var isIdle: Bool { queue.isEmpty }

    /// Advances virtual time to the next deliverable event and returns it; `nil` when the queue
    /// is empty or the next event is later than `limit`. Timers of crashed incarnations and
    /// messages to actors that are down are discarded on the way.
    @inlinable
    public mutating func next(until limit: SimInstant = .distantFuture) -> Delivered<Payload>? {
        guard let h = nextHeader(until: limit) else { return nil }
        return Delivered(time: h.time, actor: h.actor, from: h.from, kind: h.kind, payload: takePayload())
    }

    /// `next(until:)` in two steps, for a dispatcher that keeps the payload apart from the
    /// header: advances virtual time to the next deliverable event (discarding the undeliverable
    /// ones on the way, as `next` does), folds its header into the digest and returns it; its
    /// payload stays in the queue until `takePayload()` (which folds it), which must come
    /// before the next call.
    ///
    /// Why: the envelope is read where it lies (an undeliverable event is destroyed in its
    /// slot) and the payload moves once, straight to the caller, while `next` returns an
    /// optional `Delivered<Payload>`: a value as large as the largest payload, copied through
    /// each frame, and destroyed by the caller through the generic witnesses of `Optional` and
    /// `Delivered` (the unspecialised `destroy for Optional` on every event of a run).
    @inlinable
    public mutating func nextHeader(until limit: SimInstant = .distantFuture) -> EventHeader? {
        while let time = queue.holdNext(notAfter: limit.nanoseconds) {
            let env = queue.heldPayload
            let i = Int(env.pointee.actor)
            switch env.pointee.kind {
            case .timer:
                if env.pointee.incarnation != incarnations[i] || !up[i] {
                    _timersLostToCrash &+= 1
                    queue.dropHeld()
                    continue
                }
            case .message:
                if !up[i] {
                    network.noteDelivered(toDownActor: true)
                    queue.dropHeld()
                    continue
                }
                network.noteDelivered(toDownActor: false)
            case .control:
                break
            }
            _now = SimInstant(nanoseconds: time)
            _eventsDelivered &+= 1
            let (actor, from, kind) = (env.pointee.actor, env.pointee.from, env.pointee.kind)
            _digest.fold(time)
            _digest.fold(UInt64(UInt32(bitPattern: actor)) << 32 | UInt64(UInt32(bitPattern: from)))
            _digest.fold(UInt64(kind.rawValue))
            return EventHeader(time: _now, actor: ActorID(actor), from: ActorID(from), kind: kind)
        }
        return nil
    }

    /// The payload of the event `nextHeader` just returned, moved out of the queue and folded
    /// into the digest (after the header's words, as `next` folds them). Folded here, once it
    /// is the caller's, rather than in its slot: a large payload passed from memory the
    /// function does not own is copied for the call (a retain and a release of every
    /// reference in it).
    @inlinable @inline(__always)
    public mutating func takePayload() -> Payload {
        let payload = queue.takeHeld().payload
        payload.fold(into: &_digest)
        return payload
    }

    /// A read-only look at what is probably the next event (see `EventQueue.peekRoot`): its
    /// actor, sender and kind, and its payload where it lies (to be read only, and only until
    /// the simulation is next mutated), or nil when the queue cannot tell without moving keys.
    /// A guess, for prefetch hints only: the event actually delivered next may differ (an
    /// earlier one scheduled meanwhile, a dropped timer), so nothing that reaches a digest may
    /// depend on it. It also starts fetching the slot of the event after it
    /// (`EventQueue.prefetchAfterRoot`), so that the next look finds that envelope in cache.
    @inlinable @inline(__always)
    public func peekNext() -> (actor: ActorID, from: ActorID, kind: EventKind, payload: UnsafePointer<Payload>)? {
        queue.prefetchAfterRoot()
        guard let env = queue.peekRoot() else { return nil }
        return (ActorID(env.pointee.actor), ActorID(env.pointee.from), env.pointee.kind, env.pointer(to: \.payload)!)
    }

    /// Moves the clock forward with no event (e.g. to the horizon at the end of a run).
    public mutating func advance(to t: SimInstant) {
        precondition(t >= now, "time never goes backwards")
        _now = t
    }
}
