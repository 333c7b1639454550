import Engine

/// One event the world's dispatcher hands to a role: the Engine's `EventHeader` fields and the
/// `WorldEvent` moved out of the queue (`World.run`). The same fields as the Engine's generic
/// `WorldDelivery`, in a type of its own.
///
/// Why not `WorldDelivery`: Swift 6.3 destroys a value of a bound generic struct
/// through its value witnesses (the outlined destroy of the optional, `destroy for Delivered`
/// with the type's metadata, then `destroy for WorldEvent`): about 60 instructions an event of
/// calls around the payload's releases, paid at the end of every dispatch. A non-generic struct
/// with the same fields is destroyed by a direct call to the payload's own destroy.
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
