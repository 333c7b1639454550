/// A job's aggregated result (`jobs.result`), as the portal displays it.
public struct SimulationResult: DPSStatistics, Equatable, Hashable, Sendable {
    public let tally: DamageTally

    /// `tally` must not be empty.
    public init(tally: DamageTally) {
        precondition(tally.iterations > 0, "a simulation result needs at least one iteration")
        self.tally = tally
    }

    /// The result of a job that is this one chunk.
    public init(_ chunk: ChunkResult) { self.init(tally: chunk.tally) }

    /// The job's result from its chunks' results, in any order: bit-identical to simulating all
    /// the iterations at once. Nil if `chunks` is empty, mixes fight lengths, or overflows.
    public static func aggregate(_ chunks: [ChunkResult]) -> SimulationResult? {
        guard var tally = chunks.first?.tally else { return nil }
        for chunk in chunks.dropFirst() {
            guard let merged = tally.merged(with: chunk.tally) else { return nil }
            tally = merged
        }
        return SimulationResult(tally: tally)
    }

    /// The chunks' Double summaries folded left to right with Chan's merge: the floating-point
    /// cross-check of `aggregate`. Nil if `chunks` is empty.
    public static func mergedChan(_ chunks: [ChunkResult]) -> DPSMoments? {
        guard let first = chunks.first else { return nil }
        return chunks.dropFirst().reduce(first.moments) { $0.mergedChan(with: $1.moments) }
    }

    /// Decodes the stored JSON (see `DPSResultJSON`), validating the tally's invariants.
    public init(json: JSONValue) throws(ResultDecodingError) {
        self.init(tally: try DPSResultJSON.decode(json))
    }

    public var json: JSONValue { DPSResultJSON.encode(self) }
}
