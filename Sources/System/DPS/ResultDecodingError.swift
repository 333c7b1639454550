/// Why a stored `ChunkResult` / `SimulationResult` could not be read back.
///
/// Results come from nodes, so a record can be malformed or forged; rejecting it beats letting
/// an impossible tally trap or skew a job's aggregate.
public enum ResultDecodingError: Error, Equatable, Hashable, Sendable, CustomStringConvertible {
    case missingField(String)
    case wrongType(field: String, expected: String)
    /// Well-typed values that no set of iterations could produce (reason given).
    case inconsistent(String)

    public var description: String {
        switch self {
        case .missingField(let field): "missing field '\(field)'"
        case .wrongType(let field, let expected): "field '\(field)' must be \(expected)"
        case .inconsistent(let reason): "inconsistent result: \(reason)"
        }
    }
}
