import JobSystem

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

extension Improvement {
    /// The invariant that breaks when this improvement is switched off in a scenario built to
    /// need it (`fixed-<improvement>`): what the improvement is for. Nil for one whose effect is
    /// a measure rather than a broken invariant (the rewake shortens a backlog's drain).
    public var caughtBy: Invariant? {
        switch self {
        case .rewakeAfterBacklog: return nil
        case .avoidReapedNode: return .jobsComplete
        case .growGuildFilters: return .eligibleAssignment
        }
    }
}
