/// What a node reports for one chunk (`jobs_chunks.result`): the exact tally of its iterations.
public struct ChunkResult: DPSStatistics, Equatable, Hashable, Sendable {
    public let tally: DamageTally

    /// `tally` must not be empty: a chunk has at least one iteration.
    public init(tally: DamageTally) {
        precondition(tally.iterations > 0, "a chunk result needs at least one iteration")
        self.tally = tally
    }

    /// Decodes the stored JSON (see `DPSResultJSON`), validating the tally's invariants.
    public init(json: JSONValue) throws(ResultDecodingError) {
        self.init(tally: try DPSResultJSON.decode(json))
    }

    public var json: JSONValue { DPSResultJSON.encode(self) }
}
