/// The replay cache behind signed requests.
extension EmbeddedStore {
    /// Remembers `signature` until `expiresAt` (the signed timestamp plus the window, beyond
    /// which the verifier refuses the request anyway, so the cache stays bounded). Returns false
    /// if it is remembered already: a replay.
    ///
    /// First forgets every entry with `expiresAt < now` (the store's clock), oldest expiry first (ties in the order
    /// they were remembered). A signature is live up to and including its expiry instant.
    public mutating func rememberSignature(_ signature: Signature, expiresAt: Timestamp) throws(StoreError) -> Bool {
        while let oldest = signatureExpiries.min, oldest.expiresAt < now {
            signatureExpiries.popMin()
            signatures[oldest.signature] = nil
        }
        guard signatures[signature] == nil else { return false }
        signatures[signature] = expiresAt
        signatureExpiries.push(SignatureEntry(expiresAt: expiresAt, seq: nextSignatureSeq, signature: signature))
        nextSignatureSeq += 1
        return true
    }

    /// Signatures currently remembered (expired ones linger until the next `rememberSignature`).
    public var rememberedSignatureCount: Int { signatures.count }
}
