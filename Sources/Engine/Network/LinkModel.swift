/// How one direction of a link treats messages. Every decision is drawn from the sender's
/// network stream, so a link's behaviour is reproducible per seed.
public struct LinkModel: Sendable, Equatable, CustomStringConvertible {
    /// One-way delivery latency.
    public var latency: DurationDistribution
    /// Probability that a message is lost.
    public var loss: Double
    /// Probability that a message is delivered twice (each copy with its own latency).
    public var duplication: Double
    /// Probability that a message is held back by an extra `reorderDelay`, so that messages
    /// sent after it can overtake it.
    public var reorder: Double
    public var reorderDelay: DurationDistribution

    public init(
        latency: DurationDistribution = .uniform(.milliseconds(10), .milliseconds(100)),
        loss: Double = 0, duplication: Double = 0, reorder: Double = 0,
        reorderDelay: DurationDistribution = .uniform(.milliseconds(100), .milliseconds(1_000))
    ) {
        self.latency = latency
        self.loss = loss
        self.duplication = duplication
        self.reorder = reorder
        self.reorderDelay = reorderDelay
    }

    /// The fleet workload's link: latency U[10 ms, 100 ms], nothing lost.
    public static let standard = LinkModel()

    public var description: String {
        "latency=\(latency) loss=\(loss) dup=\(duplication) reorder=\(reorder)"
    }
}
