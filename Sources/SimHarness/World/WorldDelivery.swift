import Engine

/// One event the world's dispatcher hands to a role: the Engine's `EventHeader` fields and the
/// `WorldEvent` moved out of the queue (`World.run`). The same fields as the Engine's generic
/// `Delivered<WorldEvent>`, in a type of its own.
///
/// Why not `Delivered<WorldEvent>`: Swift 6.3 destroys a value of a bound generic struct
/// through its value witnesses (the outlined destroy of the optional, `destroy for Delivered`
/// with the type's metadata, then `destroy for WorldEvent`) around the payload's releases, at
/// the end of every dispatch. This type's destroy is one witness that calls the payload's
/// releases directly: about 24 instructions fewer per destroyed event (callgrind, heartbeat run:
/// 367,130 destroys, −8.8 M instructions).
public struct WorldDelivery {
    public var time: SimInstant
    public var actor: ActorID
    /// The sender of a message; the actor itself for timers and control events.
    public var from: ActorID
    public var kind: EventKind
    public var payload: WorldEvent

    @inlinable public init(time: SimInstant, actor: ActorID, from: ActorID, kind: EventKind, payload: WorldEvent) {
        self.time = time
        self.actor = actor
        self.from = from
        self.kind = kind
        self.payload = payload
    }
}
