import Foundation
import Synchronization

/// A fixed set of OS threads that run submitted closures, oldest first: where the node computes
/// its chunks. The DPS model is CPU-bound for seconds at a time, so it must not run on Swift's
/// cooperative pool (it would starve the node's networking and timers); the agent starts at
/// most `Settings.workerSlots` computations at once, and the pool has that many threads, so a
/// started chunk never waits for a thread.
public final class WorkerPool: Sendable {
    public let threads: Int
    private let queue = Mutex<[@Sendable () -> Void]>([])
    private let ready = DispatchSemaphore(value: 0)

    public init(threads: Int) {
        self.threads = Swift.max(1, threads)
        for index in 0..<self.threads {
            let thread = Thread { [self] in self.work() }
            thread.name = "worker-\(index)"
            thread.start()
        }
    }

    /// Runs `job` on the next free thread.
    public func submit(_ job: @escaping @Sendable () -> Void) {
        queue.withLock { $0.append(job) }
        ready.signal()
    }

    private func work() {
        while true {
            ready.wait()
            guard let job = queue.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) else { continue }
            job()
        }
    }
}
