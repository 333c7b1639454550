/// Why a store operation failed. Every failure leaves the store as it was (each operation is
/// one transaction).
public enum StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The connection broke or the server restarted; the transaction did not commit. Retry.
    case connectionLost
    /// A unique constraint was hit (the racy check-then-insert upsert loses this way).
    case uniqueViolation(String)
    case configNotFound(ConfigHash)
    case rotationNotFound(String)
    case jobNotFound(JobID)
    case chunkNotFound(ChunkID)
    case nodeNotFound
    case claimCodeNotFound(String)
    /// More than one unclaimed node shows this claim code (6 characters of a key hash collide
    /// once fleets are large); the claim is refused rather than given to an arbitrary node.
    case claimCodeAmbiguous(String)
    case nodeAlreadyClaimed(NodeID)
    case nodeNotClaimed(NodeID)
    /// A status change outside the status machine was attempted.
    case illegalTransition(String)
    /// Concurrent transactions kept conflicting (serialization failure or deadlock, SQLSTATE
    /// 40001/40P01) after the adapter's retries; nothing was committed. Retry later.
    case conflict(String)
    /// The database refused a statement for a reason the contract does not name (its SQLSTATE
    /// and message); nothing was committed. The embedded store never raises it.
    case database(sqlState: String, message: String)

    public var description: String {
        switch self {
        case .connectionLost: return "connection to the store lost; nothing was committed"
        case .uniqueViolation(let what): return #"duplicate key value violates unique constraint ""# + what + #"""#
        case .configNotFound(let h): return "no config with hash \(h.hex)"
        case .rotationNotFound(let id): return "no rotation \(id)"
        case .jobNotFound(let id): return "no job \(id)"
        case .chunkNotFound(let id): return "no chunk \(id)"
        case .nodeNotFound: return "no such node"
        case .claimCodeNotFound(let c): return "no unclaimed node with claim code \(c)"
        case .claimCodeAmbiguous(let c): return "several unclaimed nodes show claim code \(c); re-register one of them"
        case .nodeAlreadyClaimed(let id): return "node \(id) is already claimed"
        case .nodeNotClaimed(let id): return "node \(id) is not claimed yet"
        case .illegalTransition(let what): return "illegal status transition: \(what)"
        case .conflict(let what): return "concurrent transactions conflicted, nothing committed: \(what)"
        case .database(let state, let message): return "database error \(state): \(message)"
        }
    }
}
