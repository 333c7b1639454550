/// Exponential backoff with deterministic jitter, shared by the node's retries (registration,
/// fetches, completions) so a fleet that failed together does not retry together.
///
/// "Equal jitter": the n-th consecutive failure waits `d/2 + uniform(0...d/2)` with
/// `d = min(max, base · 2^(n−1))`. Half of the wait is fixed and half random: while the cap
/// doubles, each wait is at least the previous cap, so waits grow; once capped they spread over
/// `[max/2, max]`, so a fleet that failed together does not come back in lockstep.
public struct Backoff: Sendable, Equatable {
    public var base: Interval
    public var max: Interval

    public init(base: Interval, max: Interval) {
        self.base = base
        self.max = max
    }

    /// The cap `d` for the `failures`-th consecutive failure (1-based), without jitter.
    public func ceiling(failures: Int) -> Interval {
        let shift = Swift.min(Swift.max(failures - 1, 0), 40)
        let (scaled, overflow) = base.micros.multipliedReportingOverflow(by: Int64(1) << Int64(shift))
        if overflow || scaled > max.micros { return Swift.max(max, Interval(micros: 0)) }
        return Interval(micros: Swift.max(scaled, 0))
    }

    /// The wait before the retry after the `failures`-th consecutive failure.
    public func delay<R: RandomNumberGenerator>(failures: Int, using random: inout R) -> Interval {
        let cap = ceiling(failures: failures).micros
        let half = cap / 2
        let spread = cap - half
        let jitter = spread > 0 ? Int64(random.next(upperBound: UInt64(spread) + 1)) : 0
        return Interval(micros: half + jitter)
    }
}

/// The node's jitter stream: SplitMix64, seeded through SHA-256 from the node's key seed and
/// its incarnation.
///
/// Why hashed: the key seed is the private key. Retry delays are observable from outside, and
/// SplitMix64's output is invertible to its state, so seeding it with raw key bytes would leak
/// the key to anyone timing the node's retries. Why the incarnation: a restarted node should
/// not replay the jitter of its previous life (deterministically, still: it is durable state).
struct JitterSource: RandomNumberGenerator, Sendable, Equatable {
    private var state: UInt64

    init(state: UInt64) { self.state = state }

    init(keySeed: [UInt8], incarnation: UInt64, hasher: any SHA256Hashing) {
        var material = Array("node-jitter\0".utf8)
        material.append(contentsOf: keySeed)
        for shift in stride(from: 56, through: 0, by: -8) { material.append(UInt8(truncatingIfNeeded: incarnation >> UInt64(shift))) }
        let digest = hasher.sha256(material).bytes
        state = digest.prefix(8).reduce(0) { $0 << 8 | UInt64($1) }
    }

    mutating func next() -> UInt64 {
        state &+= SplitMix64.gamma
        return SplitMix64.finalize(state)
    }
}
