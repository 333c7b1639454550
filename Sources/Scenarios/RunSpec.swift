import Engine
import SimHarness
import JobSystem

/// What names one run exactly: a scenario, a seed, a profile, and a reduction of the
/// scenario's plan. A trace file's header carries one, so a replay can rebuild the run from the
/// file alone, and the shrinker's result is one.
///
/// Names, not plans: a spec stays small and readable in a trace header, and a scenario whose
/// plan changes on purpose makes its traces diverge (which is what re-recording is for).
public struct RunSpec: Sendable, Equatable {
    public var scenario: String
    public var seed: UInt64
    /// A name `Profile.named` knows: `fixed`, `legacy` or `fixed+<defect>`.
    public var profile: String
    public var reduction: Reduction

    public init(scenario: String, seed: UInt64, profile: String, reduction: Reduction = Reduction()) {
        self.scenario = scenario
        self.seed = seed
        self.profile = profile
        self.reduction = reduction
    }

    /// What the shrinker took away from the scenario's plan. The empty reduction is the
    /// scenario as written.
    public struct Reduction: Sendable, Equatable {
        /// Indices into the scenario plan's `actions` that are not scheduled (sorted, distinct).
        public var droppedActions: [Int]
        /// Keep only the first k nodes; actions that name a removed node are dropped too.
        public var nodeLimit: Int?
        /// Keep only the first k submissions, counted over all users in user order.
        public var submissionLimit: Int?

        public init(droppedActions: [Int] = [], nodeLimit: Int? = nil, submissionLimit: Int? = nil) {
            self.droppedActions = Array(Set(droppedActions)).sorted()
            self.nodeLimit = nodeLimit
            self.submissionLimit = submissionLimit
        }

        public var isEmpty: Bool { droppedActions.isEmpty && nodeLimit == nil && submissionLimit == nil }
    }
}

/// Why a spec names no run.
public enum RunSpecError: Error, Equatable, CustomStringConvertible {
    case unknownScenario(String)
    case unknownProfile(String)
    case actionOutOfRange(index: Int, actions: Int)
    case negativeLimit(String, Int)
    case malformed(String)

    public var description: String {
        switch self {
        case .unknownScenario(let name):
            return "no scenario named \(name) (known: \(Catalogue.all.map(\.name).joined(separator: ", ")))"
        case .unknownProfile(let name):
            return "no profile named \(name) (known: fixed, legacy, fixed+<defect>)"
        case .actionOutOfRange(let i, let n):
            return "dropped action \(i) is out of range (the scenario schedules \(n) actions)"
        case .negativeLimit(let field, let k):
            return "\(field) must not be negative (got \(k))"
        case .malformed(let what):
            return "malformed run spec: \(what)"
        }
    }
}

/// How big a run's plan is, in the dimensions the shrinker reduces.
public struct RunSize: Sendable, Equatable, CustomStringConvertible {
    public var actions: Int
    public var nodes: Int
    public var submissions: Int

    public init(of plan: RunPlan) {
        actions = plan.actions.count
        nodes = plan.world.nodes.count
        submissions = plan.world.users.reduce(0) { $0 + $1.submissions.count }
    }

    /// No larger in any dimension.
    public func fits(in other: RunSize) -> Bool {
        actions <= other.actions && nodes <= other.nodes && submissions <= other.submissions
    }

    public var description: String { "actions=\(actions) nodes=\(nodes) submissions=\(submissions)" }
}

// MARK: - Building the plan

extension RunSpec {
    public func resolvedScenario() throws(RunSpecError) -> Scenario {
        guard let s = Catalogue.named(scenario) else { throw .unknownScenario(scenario) }
        return s
    }

    public func resolvedProfile() throws(RunSpecError) -> Profile {
        guard let p = Profile.named(profile) else { throw .unknownProfile(profile) }
        return p
    }

    /// The scenario's plan for this seed and profile with the reduction applied.
    public func plan() throws(RunSpecError) -> RunPlan {
        try reducedPlan().plan
    }

    /// The indices (into the scenario plan's actions) that the reduced plan still schedules.
    public func keptActions() throws(RunSpecError) -> [Int] {
        try reducedPlan().kept
    }

    func reducedPlan() throws(RunSpecError) -> (plan: RunPlan, kept: [Int]) {
        var plan = try resolvedScenario().plan(seed: seed, profile: resolvedProfile())
        let r = reduction
        for i in r.droppedActions where !plan.actions.indices.contains(i) {
            throw .actionOutOfRange(index: i, actions: plan.actions.count)
        }
        if let k = r.nodeLimit, k < 0 { throw .negativeLimit("nodeLimit", k) }
        if let k = r.submissionLimit, k < 0 { throw .negativeLimit("submissionLimit", k) }

        let nodeCount = min(plan.world.nodes.count, r.nodeLimit ?? .max)
        plan.world.nodes.removeSubrange(nodeCount...)
        let dropped = Set(r.droppedActions)
        var kept: [Int] = []
        var actions: [ScheduledAction] = []
        for (i, a) in plan.actions.enumerated() where !dropped.contains(i) && a.names(onlyNodesBelow: nodeCount) {
            kept.append(i)
            actions.append(a)
        }
        plan.actions = actions

        if var budget = r.submissionLimit {
            for u in plan.world.users.indices {
                let keep = min(budget, plan.world.users[u].submissions.count)
                plan.world.users[u].submissions.removeSubrange(keep...)
                budget -= keep
            }
        }
        return (plan, kept)
    }
}

extension ScheduledAction {
    /// Whether every node this action names (as its target or inside a partition) is one of
    /// the first `count` nodes: the world resolves targets by index, so an action naming a
    /// removed node cannot be scheduled.
    func names(onlyNodesBelow count: Int) -> Bool {
        var targets = [target]
        if case .partition(_, let from, let to, _) = action { targets += from + to }
        return targets.allSatisfy { t in
            if case .node(let i) = t { return i < count }
            return true
        }
    }
}

// MARK: - JSON

extension RunSpec {
    /// The spec as JSON (print it with `canonicalString`: sorted keys, so the text is stable).
    ///
    /// Seeds above 2^53 are written as decimal strings: JSON numbers are doubles here and would
    /// silently round them to another seed.
    public var json: JSONValue {
        ["scenario": .string(scenario), "seed": Self.seedJSON(seed), "profile": .string(profile), "reduction": reduction.json]
    }

    public init(json: JSONValue) throws(RunSpecError) {
        guard let scenario = json["scenario"]?.stringValue else { throw .malformed("missing scenario") }
        guard let profile = json["profile"]?.stringValue else { throw .malformed("missing profile") }
        guard let seedValue = json["seed"], let seed = Self.seed(from: seedValue) else {
            throw .malformed("missing or invalid seed")
        }
        var reduction = Reduction()
        if let r = json["reduction"], !r.isNull { reduction = try Reduction(json: r) }
        self.init(scenario: scenario, seed: seed, profile: profile, reduction: reduction)
    }

    static func seedJSON(_ seed: UInt64) -> JSONValue {
        seed <= 1 << 53 ? .number(Double(seed)) : .string(String(seed))
    }

    static func seed(from v: JSONValue) -> UInt64? {
        if let d = v.doubleValue, d >= 0, d <= Double(1 << 53) { return UInt64(exactly: d) }
        if let s = v.stringValue { return UInt64(s) }
        return nil
    }
}

extension RunSpec.Reduction {
    public var json: JSONValue {
        [
            "droppedActions": .array(droppedActions.map { .number(Double($0)) }),
            "nodeLimit": nodeLimit.map { .number(Double($0)) } ?? .null,
            "submissionLimit": submissionLimit.map { .number(Double($0)) } ?? .null,
        ]
    }

    public init(json: JSONValue) throws(RunSpecError) {
        guard json.objectValue != nil else { throw .malformed("reduction is not an object") }
        var dropped: [Int] = []
        if let list = json["droppedActions"], !list.isNull {
            guard let items = list.arrayValue else { throw .malformed("droppedActions is not an array") }
            for item in items {
                guard let i = item.intValue else { throw .malformed("droppedActions holds a non-integer") }
                dropped.append(i)
            }
        }
        self.init(
            droppedActions: dropped, nodeLimit: try Self.limit(json["nodeLimit"], "nodeLimit"),
            submissionLimit: try Self.limit(json["submissionLimit"], "submissionLimit"))
    }

    static func limit(_ v: JSONValue?, _ field: String) throws(RunSpecError) -> Int? {
        guard let v, !v.isNull else { return nil }
        guard let k = v.intValue else { throw .malformed("\(field) is not an integer") }
        return k
    }
}
