import CPrefetch
import Engine
import JobSystem

/// The look-ahead: while one event is handled, the cache lines the next one will read are
/// already on their way.
///
/// Why: at 10,000 nodes a node's state is cold at each of its events (a heartbeat per node
/// every few simulated seconds, thousands of events apart), and the first loads of a node
/// event waited on memory one after the other: `World.dispatch`'s read of the actor's role,
/// the kernel's `up`/`incarnations` entries in `nextHeader`, then the node's host and clock in
/// `feedNode` (under `perf` at N = 10,000, over half of `feedNode`'s and `nodeReceive`'s self
/// time sat on those loads, and most of `dispatch`'s on the role). The prefetches `nodeReceive`
/// issues at the start of the event come too late to hide them: there is nothing else to do
/// before the loads. The event queue knows what comes next, so the World asks for those lines
/// one whole event earlier (about a microsecond, several memory latencies), and the queue
/// starts fetching the slot of the event after that one (`EventQueue.prefetchAfterRoot`), so
/// that this look finds its envelope in cache.
///
/// A guess and a hint only: the next event may differ from the peeked one (one scheduled
/// before it meanwhile, or a bucket not yet opened), and a prefetch changes nothing but
/// timing. Nothing here writes, draws or folds anything: every digest and trace is the same
/// with or without it.
extension World {
    /// Prefetches what the probable next event will read first (see the extension's notes).
    /// Called by `run` once per event, after the current event is taken and before it is
    /// dispatched. A few tens of instructions.
    @inline(__always)
    func lookAhead() {
        guard let next = sim.peekNext() else { return }
        if let i = nodeIndex(ofActor: next.actor) {
            // Its role, read by `dispatch` (an actor's role exists from its creation), and the
            // kernel's entries; the few other actors' are always warm.
            roles.withUnsafeBufferPointer { cprefetch_read($0.baseAddress! + Int(next.actor.index)) }
            sim.prefetchDeliveryState(next.actor)
            sim.prefetchActorState(next.actor)
            prefetchHostLines(i)
        } else if next.actor == storeActor && next.kind == .message, let txn = Self.transactionID(next.payload),
            let asked = apiServer.inFlight[txn], let text = asked.headerText
        {
            // A store transaction's request: its node's header buffer, which the route's size
            // check and the parse (`SignedHeaders.decode`) read first thing. The node wrote it
            // two hops earlier (tens of milliseconds, hundreds of events at 10,000 nodes), so
            // it is cold by then (`valueBytes`' wait was 0.9 % of a fleet run's `perf` samples).
            // The API server noted where it lies when it sent the transaction (`InFlightRequest`).
            cprefetch_read(text)
            cprefetch_read(text + 64)
            cprefetch_read(text + 128)
            // And the key's text, a heap object of its own, which the parse retains first (that
            // retain's wait was 2.6 % of the samples): its reference count 24 bytes before the
            // text, and the text's 44 bytes.
            if let key = asked.keyText {
                cprefetch_read(key - 24)
                cprefetch_read(key + 43)
            }
        }
    }

    /// Asks for the cache lines of node `i`'s host that a heartbeat or its answer reads (the
    /// host's first 448 bytes, to the agent's heartbeat counters: `NodeHostLayoutTests`), all
    /// at once. Eight hints, at offsets 0 through 448: a host (752 bytes) does not start on a
    /// line boundary, so its first 448 bytes can span eight lines. Written out: as a loop
    /// (`nodeReceive`'s `prefetchHost` before the look-ahead) they cost about 40 instructions.
    @inline(__always)
    func prefetchHostLines(_ i: Int) {
        nodes.withUnsafeBufferPointer { hosts in
            let host = UnsafeRawPointer(hosts.baseAddress! + i)
            cprefetch_read(host)
            cprefetch_read(host + 64)
            cprefetch_read(host + 128)
            cprefetch_read(host + 192)
            cprefetch_read(host + 256)
            cprefetch_read(host + 320)
            cprefetch_read(host + 384)
            cprefetch_read(host + 448)
        }
    }

    /// The transaction id of a `.transaction` payload, read where it lies. Binds only the id:
    /// binding the request made the compiler copy the whole payload (a retain of each of its
    /// references, cold ones included) to read it.
    @inline(__always)
    static func transactionID(_ payload: UnsafePointer<WorldEvent>) -> UInt64? {
        if case .transaction(let txn, _, _) = payload.pointee { return txn }
        return nil
    }

    /// The node index of `actor` if it is a node's, by arithmetic: the nodes' actors are created
    /// last in `World.init`, one per node in order (`addNode`), so node `i`'s actor is the first
    /// node's plus `i` (`LookaheadTests` checks it). Reads only the first host's actor (a line
    /// every look reads, so always warm), not the role table, whose entry may be cold.
    @inline(__always)
    func nodeIndex(ofActor actor: ActorID) -> Int? {
        // Through the pointer: `hosts.first` would copy the whole host (a retain of each of its
        // references) to read one field.
        nodes.withUnsafeBufferPointer { hosts -> Int? in
            guard let base = hosts.baseAddress, hosts.count > 0 else { return nil }
            let i = Int(actor.index) &- Int(base.pointee.actor.index)
            return UInt(bitPattern: i) < UInt(bitPattern: hosts.count) ? i : nil
        }
    }
}
