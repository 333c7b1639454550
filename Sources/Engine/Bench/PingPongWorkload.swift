/// A small, fixed workload for the kernel itself: `simharness bench engine` measures the
/// kernel's throughput with it, `simharness demo` prints its digest, and the engine tests use it
/// to check determinism. It knows nothing about the job system.
///
/// Every actor repeatedly pings a peer drawn from its own random stream; the peer answers with a
/// pong. Each ping arms a timeout timer that the matching pong cancels; when the ping or the pong
/// is lost (the link has a small loss rate) the timeout fires and the actor pings another peer.
/// So the run exercises message delivery, timers, cancellation, loss and the per-actor streams,
/// with no allocation per event: payloads are plain values and every state is a flat array.
public struct PingPongWorkload {
    /// The workload's payload: 8 bytes of plain data.
    public struct Message: TraceablePayload, Sendable, Equatable {
        public enum Kind: UInt8, Sendable {
            /// The first timer of each actor, at a random offset so that actors do not start in step.
            case start = 0
            case ping = 1
            case pong = 2
            /// A ping (or its pong) was lost.
            case timeout = 3
        }
        public var kind: Kind
        /// The ping's sequence number, per sender.
        public var seq: UInt32

        @inlinable public init(_ kind: Kind, seq: UInt32) {
            self.kind = kind
            self.seq = seq
        }

        @inlinable public func fold(into digest: inout TraceDigest) {
            digest.fold(UInt64(kind.rawValue) << 32 | UInt64(seq))
        }
    }

    public struct Configuration: Sendable {
        public var actors: Int
        public var seed: UInt64
        public var link: LinkModel
        /// How long a ping waits for its pong (on the sender's clock).
        public var timeout: SimDuration

        /// 10,000 actors by default; latency U[10 ms, 100 ms], 1% loss, 300 ms timeout.
        public init(
            actors: Int = 10_000, seed: UInt64 = 1,
            link: LinkModel = LinkModel(latency: .uniform(.milliseconds(10), .milliseconds(100)), loss: 0.01),
            timeout: SimDuration = .milliseconds(300)
        ) {
            precondition(actors >= 2, "ping-pong needs at least two actors")
            self.actors = actors
            self.seed = seed
            self.link = link
            self.timeout = timeout
        }
    }

    /// What the actors observed, for reports and tests.
    public struct Counters: Sendable, Equatable {
        public var pingsSent: UInt64 = 0
        public var pongsReceived: UInt64 = 0
        public var timeoutsFired: UInt64 = 0
        /// Pongs that arrived for an older ping (after its timeout fired); ignored.
        public var stalePongs: UInt64 = 0
    }

    public private(set) var sim: Simulation<Message>
    public let configuration: Configuration
    public private(set) var counters = Counters()
    /// Per actor: the sequence number of the ping awaiting its pong, and its timeout timer.
    var outstanding: [UInt32]
    var timeouts: [EventHandle]

    public init(_ configuration: Configuration) {
        self.configuration = configuration
        var sim = Simulation<Message>(seed: configuration.seed)
        sim.network.defaultLink = configuration.link
        for i in 0..<configuration.actors {
            let a = sim.addActor(named: "pp-\(i)")
            let offset = SimDuration(nanoseconds: Int64(sim.rngs[i].nextBelow(100_000_000)))
            sim.setTimer(for: a, after: offset, Message(.start, seq: 0))
        }
        self.sim = sim
        outstanding = Array(repeating: 0, count: configuration.actors)
        timeouts = Array(repeating: .none, count: configuration.actors)
    }

    /// Delivered events so far.
    public var events: UInt64 { sim.eventsDelivered }
    public var digest: TraceDigest { sim.digest }
    public var now: SimInstant { sim.now }

    /// Runs every event due up to `limit`, then moves the clock to `limit`.
    public mutating func run(until limit: SimInstant) {
        while let e = sim.next(until: limit) {
            handle(e)
        }
        if limit > sim.now { sim.advance(to: limit) }
    }

    /// Handles one delivered event.
    public mutating func handle(_ e: Delivered<Message>) {
        let a = e.actor
        let i = Int(a.index)
        switch e.payload.kind {
        case .start:
            ping(from: a)
        case .ping:
            sim.send(from: a, to: e.from, Message(.pong, seq: e.payload.seq))
        case .pong:
            if e.payload.seq == outstanding[i] {
                sim.cancel(timeouts[i])
                counters.pongsReceived &+= 1
                ping(from: a)
            } else {
                counters.stalePongs &+= 1
            }
        case .timeout:
            counters.timeoutsFired &+= 1
            ping(from: a)
        }
    }

    mutating func ping(from a: ActorID) {
        let i = Int(a.index)
        // A peer other than `a`, uniformly.
        var p = Int(sim.rngs[i].nextBelow(UInt64(configuration.actors - 1)))
        if p >= i { p += 1 }
        let seq = outstanding[i] &+ 1
        outstanding[i] = seq
        counters.pingsSent &+= 1
        sim.send(from: a, to: ActorID(p), Message(.ping, seq: seq))
        timeouts[i] = sim.setTimer(for: a, after: configuration.timeout, Message(.timeout, seq: seq))
    }
}
