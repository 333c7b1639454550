/// The defects of today's system, each a switch, so the reference implementation can run as it
/// is today (`Profile.legacy`, all on) and as it should be (`Profile.fixed`, all off). The
/// harness must catch every one of them in the first and none in the second.
public enum Defect: String, Sendable, CaseIterable, Codable, Comparable {
    /// chunk-complete marks the job completed but never writes `jobs.result` (seeds: bug 1).
    case resultsNeverAggregated = "results-never-aggregated"
    /// `jobs.completed_iterations` is never incremented (seeds: bug 2).
    case progressNeverCounted = "progress-never-counted"
    /// The sentinel's reclaim of chunks whose node has been silent for 60 s, every 30 s, beside
    /// the store's 5-minute reaper (seeds: bug 3): work still being computed is taken away.
    case competingReclaim = "competing-reclaim"
    /// The scheduler's 30 s online window against the 5-minute offline marking (seeds: bug 4):
    /// nodes look online in the portal and receive no work.
    case mismatchedOnlineThresholds = "mismatched-online-thresholds"
    /// Nodes send no signature headers and the handlers' verification is dead code (review: 1).
    case unsignedNodes = "unsigned-nodes"
    /// `trg_pending_chunk` does not exist: no `pending_chunk` notification ever fires, the
    /// sentinel runs on its 30 s fallback alone (review: 4).
    case missingTrigger = "missing-trigger"
    /// Config upsert and job creation as two separate calls with a check-then-insert upsert
    /// (review: 9): concurrent submissions and the cleanup can fail or orphan a submission.
    case racyConfigUpsert = "racy-config-upsert"
    /// The assignment is one batch update that sets `node_id` and `running` without checking the
    /// chunk is still pending: safe only while exactly one sentinel runs.
    case unguardedAssignment = "unguarded-assignment"
    /// Signatures are checked only against the time window, so a captured request can be
    /// replayed within it.
    case replayableSignatures = "replayable-signatures"
    /// The reaper takes back every chunk claimed more than the claim timeout ago, whether or not
    /// its node is alive and computing (found by the harness, `slow-chunks`): a chunk that takes
    /// longer than the claim timeout is computed twice, and on a slow enough node never finishes.
    case reapsLiveClaims = "reaps-live-claims"

    public static func < (a: Defect, b: Defect) -> Bool { a.rawValue < b.rawValue }
}

/// A set of defects with a stable order (by name) for printing and trace headers.
public struct DefectSet: Sendable, Equatable, Hashable {
    public private(set) var bits: UInt32 = 0

    public init() {}
    public init(_ defects: some Sequence<Defect>) { for d in defects { insert(d) } }

    public static let none = DefectSet()
    public static let all = DefectSet(Defect.allCases)

    /// The defect's bit: its declaration order (`Defect.allCases`' index), spelled as a switch
    /// because `profile.has` asks it on every request and `allCases.firstIndex(of:)` is a linear
    /// search of an array built per call (0.5 % of a heartbeat-heavy run). `DefectSetTests` pins
    /// the switch to `allCases`' order.
    @inline(__always) static func bit(_ d: Defect) -> UInt32 {
        let ordinal: UInt32 =
            switch d {
            case .resultsNeverAggregated: 0
            case .progressNeverCounted: 1
            case .competingReclaim: 2
            case .mismatchedOnlineThresholds: 3
            case .unsignedNodes: 4
            case .missingTrigger: 5
            case .racyConfigUpsert: 6
            case .unguardedAssignment: 7
            case .replayableSignatures: 8
            case .reapsLiveClaims: 9
            }
        return 1 << ordinal
    }

    @inline(__always) public func contains(_ d: Defect) -> Bool { bits & Self.bit(d) != 0 }
    public mutating func insert(_ d: Defect) { bits |= Self.bit(d) }
    public mutating func remove(_ d: Defect) { bits &= ~Self.bit(d) }
    public var members: [Defect] { Defect.allCases.filter(contains).sorted() }
    public var isEmpty: Bool { bits == 0 }
}
