/// The replay cache behind signed requests (the structure is `ReplayCache`).
extension EmbeddedStore {
    /// 100,000 signatures: about 11 MB at most, 15 MB with the arrays' doubling slack (72
    /// bytes for a signature and its hash, 24 for its heap element, 4 for a free-list slot,
    /// 8 to 16 for table slots), and more than a fleet of 10,000 nodes signs in a window of
    /// 300 s. The arrays grow only as far as the cache actually fills.
    public static let defaultReplayCacheCapacity = 100_000

    /// Most signatures remembered at once (see `rememberSignature`).
    public var replayCacheCapacity: Int {
        get { replayCache.capacity }
        set { replayCache.capacity = newValue }
    }

    /// The replay cache's SipHash key, derived from the store's seed by a SplitMix64 stream of
    /// its own: deterministic per seed (so every run lays the table out alike), unknown to a
    /// node, and without drawing from the store's identifier stream (which would rename rows).
    static func replayCacheKey(seed: UInt64) -> (UInt64, UInt64) {
        var stream = SplitMix64(seed: seed ^ 0x7265_706C_6179_2D6B)  // "replay-k"
        return (stream.next(), stream.next())
    }

    /// Remembers `signature` until `expiresAt` (the signed timestamp plus the window, beyond
    /// which the verifier refuses the request anyway, so the cache is bounded in time). Returns
    /// false if it is remembered already: a replay.
    ///
    /// First forgets every entry with `expiresAt < now` (the store's clock), oldest expiry first (ties in the order
    /// they were remembered). A signature is live up to and including its expiry instant.
    ///
    /// Bounded in entries too (`replayCacheCapacity`). When full, the signature that expires
    /// first (a remembered one, or the new one itself) is forgotten early to make room, and from
    /// then on every signature expiring no later than it is refused as a possible replay
    /// (returns false): forgetting never lets a replay through. What it costs is that a request signed at or before the forgotten one's
    /// timestamp is refused (401 `replayed_request`); a node retries such a request re-signed
    /// with a fresh timestamp, which is accepted. The floor only rises, and stops mattering once
    /// the clock passes it (such requests are outside the window anyway).
    public mutating func rememberSignature(_ signature: Signature, expiresAt: Timestamp) throws(StoreError) -> Bool {
        replayCache.remember(signature, expiresAt: expiresAt.micros, now: now.micros)
    }

    /// Signatures currently remembered (expired ones linger until the next `rememberSignature`).
    public var rememberedSignatureCount: Int { replayCache.count }
}
