import JobSystem

/// A runner's armed timers: one sleeping task per key, replaced when the key is re-armed.
///
/// A timer whose sleep ended just as it was replaced or cancelled must not reach the state
/// machine (it no longer has that timer). Each arming gets a token; the runner delivers a
/// firing only if `take` finds the token still current.
struct TimerTable<Key: Hashable & Sendable> {
    private var entries: [Key: (token: UInt64, task: Task<Void, Never>)] = [:]
    private var nextToken: UInt64 = 0

    /// Arms `key` to call `fire` with its token after `after` (at once if not positive).
    mutating func arm(_ key: Key, after: Interval, fire: @escaping @Sendable (UInt64) async -> Void) {
        entries[key]?.task.cancel()
        nextToken += 1
        let token = nextToken
        let nanoseconds = UInt64(Swift.max(after.micros, 0)) * 1_000
        let task = Task {
            if nanoseconds > 0 { try? await Task.sleep(nanoseconds: nanoseconds) }
            guard !Task.isCancelled else { return }
            await fire(token)
        }
        entries[key] = (token, task)
    }

    mutating func disarm(_ key: Key) {
        entries.removeValue(forKey: key)?.task.cancel()
    }

    func isArmed(_ key: Key) -> Bool { entries[key] != nil }

    /// Whether the firing with `token` is still wanted; if so the timer is spent.
    mutating func take(_ key: Key, token: UInt64) -> Bool {
        guard entries[key]?.token == token else { return false }
        entries[key] = nil
        return true
    }

    mutating func cancelAll() {
        for (_, entry) in entries { entry.task.cancel() }
        entries = [:]
    }
}
