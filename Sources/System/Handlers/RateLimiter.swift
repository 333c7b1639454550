/// Token buckets for the request rates the handlers limit (node registrations of new keys,
/// failed node-claim attempts per user), bounded in memory and deterministic.
///
/// A value the caller owns and passes to `RequestHandlers.handle` (`inout`), like the store:
/// the simulation keeps one per world, a server one per process (limits are then per process,
/// which still bounds each process's share). Buckets are kept for at most `capacity` keys;
/// when a new key needs room, the key that was inserted first is dropped (a bucket forgotten
/// is a full bucket: forgetting only ever forgives). Nothing here is iterated in hash order.
public struct RateLimiter: Sendable, Equatable {
    struct Bucket: Sendable, Equatable {
        /// Tokens, in millionths, at `updated`.
        var microTokens: Int64
        var updated: Timestamp
    }

    /// Keys remembered at most.
    public let capacity: Int
    var buckets: [String: Bucket] = [:]
    /// Keys in insertion order (a ring over `capacity` slots): the eviction order.
    var order: [String] = []
    var oldest = 0

    public init(capacity: Int = 100_000) {
        self.capacity = Swift.max(1, capacity)
    }

    /// A rate: `burst` requests at once, refilled at `perHour` an hour.
    public struct Rate: Sendable, Equatable {
        public var burst: Int
        public var perHour: Int
        public init(burst: Int, perHour: Int) {
            self.burst = burst
            self.perHour = perHour
        }
    }

    /// Takes one token from `key`'s bucket. Returns nil if taken, else the seconds until one
    /// will be there (the 429's retry hint).
    public mutating func take(_ key: String, rate: Rate, now: Timestamp) -> Int? {
        let full = Int64(rate.burst) * 1_000_000
        var bucket = buckets[key] ?? Bucket(microTokens: full, updated: now)
        if buckets[key] == nil { insert(key) }
        // Refill in integers: `perHour` tokens per 3,600 s is elapsed µs × perHour / 3,600
        // micro-tokens.
        let elapsed = Swift.max(0, now.micros &- bucket.updated.micros)
        let (gain, overflow) = elapsed.multipliedReportingOverflow(by: Int64(rate.perHour))
        bucket.microTokens = overflow ? full : Swift.min(full, bucket.microTokens + gain / 3_600)
        bucket.updated = now
        defer { buckets[key] = bucket }
        if bucket.microTokens >= 1_000_000 {
            bucket.microTokens -= 1_000_000
            return nil
        }
        guard rate.perHour > 0 else { return 3_600 }
        let missing = 1_000_000 - bucket.microTokens
        // µs until `missing` micro-tokens accrue, rounded up to whole seconds.
        let waitMicros = (missing * 3_600 + Int64(rate.perHour) - 1) / Int64(rate.perHour)
        return Int((waitMicros + 999_999) / 1_000_000)
    }

    /// Gives back the token `take` took (the request turned out not to count, e.g. a claim that
    /// succeeded when only failed claims are limited).
    public mutating func refund(_ key: String, rate: Rate) {
        guard var bucket = buckets[key] else { return }
        bucket.microTokens = Swift.min(Int64(rate.burst) * 1_000_000, bucket.microTokens + 1_000_000)
        buckets[key] = bucket
    }

    public var trackedKeys: Int { buckets.count }

    private mutating func insert(_ key: String) {
        if order.count < capacity {
            order.append(key)
            return
        }
        buckets[order[oldest]] = nil
        order[oldest] = key
        oldest = (oldest + 1) % capacity
    }
}
