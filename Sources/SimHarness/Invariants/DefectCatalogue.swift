import System

extension Defect {
    /// The invariant that catches this defect when a scenario exercises it.
    public var caughtBy: Invariant {
        switch self {
        case .resultsNeverAggregated: return .resultAggregation
        case .progressNeverCounted: return .progressAccounting
        case .competingReclaim: return .reclaimAfterTimeout
        case .mismatchedOnlineThresholds: return .onlineAgreement
        case .unsignedNodes: return .authenticatedRequests
        case .missingTrigger: return .pendingNotified
        case .racyConfigUpsert: return .submissionAccepted
        case .unguardedAssignment: return .singleAssignee
        case .replayableSignatures: return .authenticatedRequests
        case .reapsLiveClaims: return .liveClaimsKept
        }
    }
}
