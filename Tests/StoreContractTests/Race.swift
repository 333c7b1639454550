import Foundation
import PostgresStore
import Synchronization

@testable import JobSystem

/// Runs operations at the same time, each on its own PostgreSQL connection and OS thread:
/// every thread connects first, then all are released together.
func race<T: Sendable>(url: String, _ ops: [@Sendable (inout any JobStore) throws(StoreError) -> T]) -> [Result<T, StoreError>] {
    let results = Mutex<[Result<T, StoreError>?]>(Array(repeating: nil, count: ops.count))
    let ready = Atomic<Int>(0)
    let group = DispatchGroup()
    for (i, op) in ops.enumerated() {
        group.enter()
        let thread = Thread {
            defer { group.leave() }
            var store: any JobStore
            do throws(StoreError) { store = try PostgresStore(conninfo: url) } catch {
                ready.add(1, ordering: .sequentiallyConsistent)
                results.withLock { $0[i] = .failure(error) }
                return
            }
            ready.add(1, ordering: .sequentiallyConsistent)
            while ready.load(ordering: .sequentiallyConsistent) < ops.count { usleep(100) }
            let r: Result<T, StoreError>
            do throws(StoreError) { r = .success(try op(&store)) } catch { r = .failure(error) }
            results.withLock { $0[i] = r }
        }
        thread.start()
    }
    group.wait()
    return results.withLock { $0.map { $0! } }
}

/// A race and what the contract allows of it: the outcomes of running its operations one after
/// another in every order, on the embedded store. The PostgreSQL outcome of each round must be
/// one of them. Outcomes are descriptions in the test's own names (`n1`, `chunk0`), since the
/// stores name rows differently.
struct RaceCase<Context: Sendable> {
    /// Builds the starting state; returns the ids the operations need.
    var setup: (inout StoreHarness) throws -> Context
    var ops: [@Sendable (inout any JobStore, Context) throws(StoreError) -> String]
    /// The end state, described.
    var final: (inout StoreHarness, Context) throws -> String

    /// Every serial order's outcome on the embedded store: each operation's result, then the
    /// final state.
    func serialOutcomes() throws -> Set<[String]> {
        var outcomes = Set<[String]>()
        for order in permutations(Array(ops.indices)) {
            var h = try StoreHarness.make(.embedded)
            let ctx = try setup(&h)
            var got = Array(repeating: "", count: ops.count)
            for i in order {
                do { got[i] = try ops[i](&h.store, ctx) } catch { got[i] = "error \(error)" }
            }
            outcomes.insert(got + [try final(&h, ctx)])
        }
        return outcomes
    }

    /// One round on PostgreSQL with the operations really concurrent.
    func concurrentOutcome() throws -> [String] {
        var h = try StoreHarness.make(.postgres)
        let ctx = try setup(&h)
        let url = try testDatabaseURL()
        var bound: [@Sendable (inout any JobStore) throws(StoreError) -> String] = []
        for op in ops { bound.append(Self.bind(op, ctx)) }
        let results = race(url: url, bound)
        let got = results.map { r -> String in
            switch r {
            case .success(let s): return s
            case .failure(let e): return "error \(e)"
            }
        }
        return got + [try final(&h, ctx)]
    }
}

extension RaceCase {
    static func bind(
        _ op: @escaping @Sendable (inout any JobStore, Context) throws(StoreError) -> String, _ ctx: Context
    ) -> @Sendable (inout any JobStore) throws(StoreError) -> String {
        let bound: @Sendable (inout any JobStore) throws(StoreError) -> String = { store throws(StoreError) in
            try op(&store, ctx)
        }
        return bound
    }
}

func permutations(_ items: [Int]) -> [[Int]] {
    guard items.count > 1 else { return [items] }
    var out: [[Int]] = []
    for (i, first) in items.enumerated() {
        var rest = items
        rest.remove(at: i)
        for p in permutations(rest) { out.append([first] + p) }
    }
    return out
}

/// Runs one operation on its own connection and thread; the returned function waits for it.
func spawn<T: Sendable>(url: String, _ op: @escaping @Sendable (inout any JobStore) throws(StoreError) -> T) -> () -> Result<T, StoreError> {
    let box = ResultBox<T>()
    let thread = Thread {
        let r: Result<T, StoreError>
        do throws(StoreError) {
            var store: any JobStore = try PostgresStore(conninfo: url)
            r = .success(try op(&store))
        } catch {
            r = .failure(error)
        }
        box.result.withLock { $0 = r }
        box.done.signal()
    }
    thread.start()
    return {
        box.done.wait()
        return box.result.withLock { $0! }
    }
}

final class ResultBox<T: Sendable>: Sendable {
    let result = Mutex<Result<T, StoreError>?>(nil)
    let done = DispatchSemaphore(value: 0)
}
