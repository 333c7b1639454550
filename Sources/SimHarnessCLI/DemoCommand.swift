import ArgumentParser
import Engine

/// `simharness demo`: a small fixed ping-pong run (100 actors, 60 simulated seconds) that prints
/// its seed, event count and digest. Same seed, same line, on every machine and every run; it is
/// what the README's main command runs until the scenarios exist.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run a small deterministic ping-pong simulation and print its digest."
    )

    @Option(help: "Seed of the run.")
    var seed: UInt64 = 1

    @Flag(help: "Print the result as one JSON object.")
    var json = false

    /// The fixed shape of the demo run.
    static let actors = 100
    static let simulatedSeconds: Int64 = 60

    func run() throws {
        var w = PingPongWorkload(.init(actors: Self.actors, seed: seed))
        w.run(until: .zero + .seconds(Self.simulatedSeconds))
        let c = w.counters
        if json {
            // Keys written out in a fixed order, so the output is byte-stable.
            print(
                "{\"seed\":\(seed),\"actors\":\(Self.actors),\"sim_seconds\":\(Self.simulatedSeconds),"
                    + "\"events\":\(w.events),\"pings\":\(c.pingsSent),\"pongs\":\(c.pongsReceived),"
                    + "\"timeouts\":\(c.timeoutsFired),\"digest\":\"\(w.digest)\"}")
        } else {
            print("seed=\(seed) events=\(w.events) digest=\(w.digest)")
        }
    }
}
