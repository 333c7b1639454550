/// The replay cache behind signed requests (the structure is `ReplayCache`).
extension EmbeddedStore {
    /// 100,000 signatures: about 3.7 MB when full (a table of 2 MiB: the 1.2 MB that 8-byte
    /// slots at two thirds' load need, rounded up to a whole 2 MiB page, whose every slot it
    /// uses; 16 bytes per entry for its fingerprint in the expiry ring, whose expiries are runs,
    /// one per signed second; for a straggler instead 16 in `strays` and 24 for a heap element,
    /// which few are). Whatever the traffic, at most about 11 MB (the ring, its runs, the heap
    /// and the strays each grown to the bound, the heap and the strays with their doubling).
    /// The arrays grow only as far as the cache actually fills; the ring stops at exactly what
    /// this bound needs, the table at the whole pages it needs. A fleet of 10,000 nodes signs about 200,000 requests in a window
    /// of 300 s, so it reaches this bound and forgets early (the earliest-expiring first): the floor then trails
    /// the clock by about half the window, which refuses only requests signed that long ago.
    public static let defaultReplayCacheCapacity = 100_000

    /// Most signatures remembered at once (see `rememberSignature`).
    public var replayCacheCapacity: Int {
        get { replayCache.capacity }
        set { replayCache.capacity = newValue }
    }

    /// The replay cache's SipHash key, derived from the store's seed by a SplitMix64 stream of
    /// its own: deterministic per seed (so every run lays the table out alike), unknown to a
    /// node (the fingerprints' collision bound, in `ReplayCache`, assumes so), and without
    /// drawing from the store's identifier stream (which would rename rows).
    static func replayCacheKey(seed: UInt64) -> (UInt64, UInt64) {
        var stream = SplitMix64(seed: seed ^ 0x7265_706C_6179_2D6B)  // "replay-k"
        return (stream.next(), stream.next())
    }

    /// The `NodeKeyIndex` hash's four secret words, from the store's seed by a SplitMix64
    /// stream of its own (as `replayCacheKey`: deterministic per seed, unknown to a node, no
    /// draw from the identifier stream).
    static func nodeKeyIndexKey(seed: UInt64) -> (UInt64, UInt64, UInt64, UInt64) {
        var stream = SplitMix64(seed: seed ^ 0x6E6F_6465_2D6B_6579)  // "node-key"
        return (stream.next(), stream.next(), stream.next(), stream.next())
    }

    /// Prefetches the caller's slot in `nodeByKey` and, when `signature` is given, computes
    /// its replay fingerprint (kept for `rememberSignature`, which recognises the same
    /// signature) and prefetches its slot and the slot of the entry to be forgotten next: at
    /// 10,000 nodes each was a cache miss of the request (`perf`: `ReplayCache.slot` 2.1 %,
    /// `remove` 1.4 %, the dictionary 1.7 % of the fleet run). Then looks the caller up
    /// (`NodeKeyIndex.prepare`, kept for the lookup after the verification) and prefetches its
    /// dense entry, which `nodeCaller` and the heartbeat read: it was the request's last
    /// uncovered miss (`perf` at N = 10,000: 3.4 % of the day's first hour on that one load).
    /// The lookup comes after the fingerprint's hashing, so the key's slot has that long to
    /// arrive. Changes no answer.
    public mutating func prepareToAuthenticate(publicKey: PublicKey, signature: Signature?) {
        let hash = nodeByKey.prefetch(publicKey)
        if let signature { replayCache.prepare(signature) }
        if let handle = nodeByKey.prepare(publicKey, hash: hash) { nodeDense.prefetch(handle) }
    }

    /// Remembers `signature` until `expiresAt` (the signed timestamp plus the window, beyond
    /// which the verifier refuses the request anyway, so the cache is bounded in time). Returns
    /// false if it is remembered already: a replay. The cache keeps a keyed 128-bit fingerprint
    /// of each signature, not the signature: a replay is always refused, and a fresh signature
    /// is refused as one only if its fingerprint equals a remembered one's, with probability at
    /// most 100,000 / 2^127 ≈ 5.9e-34 per request at the default capacity, whatever a node
    /// signs (see `ReplayCache`).
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
