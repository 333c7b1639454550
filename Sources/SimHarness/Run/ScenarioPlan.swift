import Engine
import JobSystem

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
    /// `store-load-bounded`: the most API requests the store may get in one second (nil: no
    /// bound).
    public var maxRequestsPerSecond: Int? = nil
    /// When the scenario's outage ends (measures the time to full assignment from there).
    public var recoveryAt: SimInstant? = nil
    /// `recovered-in-time`: the most seconds from `recoveryAt` until no chunk waits.
    public var recoveryBoundSeconds: Double? = nil
    /// Measure-based expectations (`Expectations`): what this run's measures must show.
    public var expect = Expectations()

    public init(world: WorldConfig, horizon: SimInstant) {
        self.world = world
        self.horizon = horizon
    }

    /// Schedules `action` for `target` at `t` after the start, or refuses a pair that means
    /// nothing (`ControlAction.accepts`): a hang for the store, a partition for a node.
    public mutating func schedule(_ action: ControlAction, at t: SimDuration, on target: Target = .environment) throws(PlanError) {
        guard action.accepts(target) else { throw .impossibleTarget(action: action.description, target: target.description) }
        guard t >= .zero else { throw .beforeStart(action: action.description) }
        actions.append(ScheduledAction(at: t, action: action, target: target))
    }

    /// `schedule` for the catalogue's own plans, where an impossible pair is a bug in the
    /// scenario's code: it stops the process with the reason.
    public mutating func at(_ t: SimDuration, _ action: ControlAction, on target: Target = .environment) {
        do { try schedule(action, at: t, on: target) } catch { preconditionFailure("\(error)") }
    }
}

/// Why a plan refused an action.
public enum PlanError: Error, Equatable, CustomStringConvertible {
    case impossibleTarget(action: String, target: String)
    case beforeStart(action: String)

    public var description: String {
        switch self {
        case .impossibleTarget(let a, let t): return "\(a) cannot be applied to \(t)"
        case .beforeStart(let a): return "\(a) is scheduled before the run starts"
        }
    }
}

/// Who a scheduled action is for.
public enum Target: Sendable, Equatable, Hashable, CustomStringConvertible {
    case environment
    case store
    /// The API server (the edge functions' host) between clients and the store.
    case apiServer
    case sentinel(Int)
    case node(Int)

    public var description: String {
        switch self {
        case .environment: return "environment"
        case .store: return "store"
        case .apiServer: return "api-server"
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
        world.observer.maxRequestsPerSecond = plan.maxRequestsPerSecond
        world.observer.recoveryAt = plan.recoveryAt
        world.observer.recoveryBoundSeconds = plan.recoveryBoundSeconds
        world.observer.expect = plan.expect
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
