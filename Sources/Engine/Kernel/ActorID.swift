/// The address of a simulated process: a dense index into the simulation's actor tables.
public struct ActorID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var index: Int32
    @inlinable public init(_ index: Int32) { self.index = index }
    @inlinable public init(_ index: Int) { self.index = Int32(index) }
    @inlinable public static func < (a: ActorID, b: ActorID) -> Bool { a.index < b.index }
    public var description: String { "a\(index)" }
}

/// How an event reached an actor.
public enum EventKind: UInt8, Sendable {
    /// A timer the actor set for itself; lost when the actor crashes.
    case timer = 0
    /// A message from another actor over the simulated network; dropped if the actor is down
    /// when it arrives.
    case message = 1
    /// An event scheduled from outside the actors (a scenario's fault or workload step); it is
    /// delivered whatever the actor's state, so a scenario can restart a crashed actor.
    case control = 2
}

/// One event handed to the world's dispatcher.
public struct Delivered<Payload> {
    public var time: SimInstant
    public var actor: ActorID
    /// The sender of a message; the actor itself for timers and control events.
    public var from: ActorID
    public var kind: EventKind
    public var payload: Payload

    @inlinable public init(time: SimInstant, actor: ActorID, from: ActorID, kind: EventKind, payload: Payload) {
        self.time = time
        self.actor = actor
        self.from = from
        self.kind = kind
        self.payload = payload
    }
}

/// A delivered event without its payload: what `Simulation.nextHeader` returns; the payload
/// follows with `Simulation.takePayload()`. Trivial (no references), so it costs nothing to
/// return, copy or drop.
public struct EventHeader: Sendable, Equatable {
    public var time: SimInstant
    public var actor: ActorID
    /// The sender of a message; the actor itself for timers and control events.
    public var from: ActorID
    public var kind: EventKind

    @inlinable public init(time: SimInstant, actor: ActorID, from: ActorID, kind: EventKind) {
        self.time = time
        self.actor = actor
        self.from = from
        self.kind = kind
    }
}

/// Payloads fold themselves into the run digest, so that two runs can be compared by one
/// number. Implementations must use only stable data (no `hashValue`, no addresses).
public protocol TraceablePayload {
    func fold(into digest: inout TraceDigest)
}
