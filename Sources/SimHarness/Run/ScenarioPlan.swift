import Engine
import System

/// A run as data: the world to build, the actions to schedule, the horizon, and what liveness
/// means for it. A scenario turns (seed, profile) into one of these.
public struct RunPlan: Sendable {
    public var world: WorldConfig
    public var actions: [ScheduledAction] = []
    /// The run stops when the next event is later than this.
    public var horizon: SimInstant
    /// Every job must be completed by then (nil: no liveness check).
    public var livenessDeadline: SimInstant?
    /// Invariants this run does not check (for example liveness in a run that never heals).
    public var disabled: Set<Invariant> = []

    public init(world: WorldConfig, horizon: SimInstant) {
        self.world = world
        self.horizon = horizon
    }

    public mutating func at(_ t: SimDuration, _ action: ControlAction, on target: Target = .environment) {
        actions.append(ScheduledAction(at: t, action: action, target: target))
    }
}

/// Who a scheduled action is for.
public enum Target: Sendable, Equatable, CustomStringConvertible {
    case environment
    case store
    case sentinel(Int)
    case node(Int)

    public var description: String {
        switch self {
        case .environment: return "environment"
        case .store: return "store"
        case .sentinel(let i): return "sentinel-\(i)"
        case .node(let i): return "node-\(i)"
        }
    }
}

public struct ScheduledAction: Sendable, Equatable {
    public var at: SimDuration
    public var action: ControlAction
    public var target: Target
}

/// What one run produced.
public struct RunOutcome: Sendable {
    public var violations: [Violation]
    public var measures: Measures
    public var digest: TraceDigest
    public var events: UInt64
    public var simSeconds: Double
    public var jobsTotal: Int
    public var jobsCompleted: Int
    /// The sampled timeline, when the run was asked for one (reports).
    public var timeline: Timeline? = nil

    public var violated: [Invariant] { Array(Set(violations.map(\.invariant))).sorted() }
}

extension World {
    /// Builds the world of a plan, schedules its actions and runs it to the horizon.
    public static func run(_ plan: RunPlan, stopOnViolation: Bool = false, trace: TraceRecorder? = nil, timeline: Timeline? = nil) -> (World, RunOutcome) {
        var world = World(plan.world)
        world.observer.livenessDeadline = plan.livenessDeadline
        world.observer.disabled = plan.disabled
        world.traceRecorder = trace
        world.timeline = timeline
        for a in plan.actions {
            world.schedule(a.action, at: SimInstant.zero + a.at, for: world.resolve(a.target))
        }
        world.run(until: plan.horizon, stopOnViolation: stopOnViolation)
        let outcome = RunOutcome(
            violations: world.observer.violations, measures: world.observer.measures, digest: world.sim.digest,
            events: world.sim.eventsDelivered, simSeconds: world.sim.now.seconds,
            jobsTotal: world.store.allJobs.count,
            jobsCompleted: world.store.jobCount(.completed), timeline: world.timeline)
        return (world, outcome)
    }
}
