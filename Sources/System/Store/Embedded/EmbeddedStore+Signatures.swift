/// The replay cache behind signed requests.
extension EmbeddedStore {
    /// 100,000 signatures: about 13 MB at most (a 64-byte signature, its expiry, a heap entry and
    /// a table slot each), and more than a fleet of 10,000 nodes signs in a window of 300 s.
    public static let defaultReplayCacheCapacity = 100_000

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
        while let oldest = signatureExpiries.min, oldest.expiresAt < now {
            signatureExpiries.popMin()
            signatures[oldest.signature] = nil
        }
        guard expiresAt > signaturesForgottenThrough, signatures[signature] == nil else { return false }
        if signatures.count >= Swift.max(1, replayCacheCapacity), let oldest = signatureExpiries.min {
            guard oldest.expiresAt < expiresAt else {
                // The new signature is the first to expire: accepted, and forgotten at once.
                signaturesForgottenThrough = expiresAt
                return true
            }
            signatureExpiries.popMin()
            signatures[oldest.signature] = nil
            signaturesForgottenThrough = Swift.max(signaturesForgottenThrough, oldest.expiresAt)
        }
        signatures[signature] = expiresAt
        signatureExpiries.push(SignatureEntry(expiresAt: expiresAt, seq: nextSignatureSeq, signature: signature))
        nextSignatureSeq += 1
        return true
    }

    /// Signatures currently remembered (expired ones linger until the next `rememberSignature`).
    public var rememberedSignatureCount: Int { signatures.count }
}
