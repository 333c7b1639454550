/// A simulated process with durable state that survives a crash and volatile state that does
/// not. The world keeps one `ProcessSlot` per actor; on a crash it calls `crash()` (the kernel
/// separately drops the actor's timers and incoming messages), on restart `restart()`.
public protocol Restartable {
    associatedtype Durable
    /// Boots a fresh incarnation from what was persisted.
    init(restoringFrom durable: Durable)
    /// What this process has persisted so far (written through as it runs).
    var durable: Durable { get }
}

public struct ProcessSlot<Process: Restartable> {
    /// The running process, or nil while crashed.
    public var process: Process?
    /// What survives a crash.
    public private(set) var durable: Process.Durable

    public init(_ process: Process) {
        self.process = process
        self.durable = process.durable
    }

    public var isRunning: Bool { process != nil }

    /// Loses the volatile state, keeping what the process had persisted.
    public mutating func crash() {
        if let p = process { durable = p.durable }
        process = nil
    }

    /// Boots a new incarnation from durable state.
    public mutating func restart() {
        if process == nil { process = Process(restoringFrom: durable) }
    }
}
