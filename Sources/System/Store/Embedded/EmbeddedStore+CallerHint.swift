/// The embedded store's second authentication hint (`JobStore.prefetchCaller`).
extension EmbeddedStore {
    /// Looks `publicKey` up in `nodeByKey` (whose slot `prepareToAuthenticate` has already
    /// asked for, and which the hashing of the replay fingerprint there gave time to arrive)
    /// and asks for the found node's dense entry, which `nodeCaller` reads after the signature
    /// is verified: at 10,000 nodes that entry is cold on every request (`perf`: 2.1 % of the
    /// fleet run in `verifyNodeCaller`'s closure, all on its first load), and the
    /// verification's few hundred cycles now overlap its miss. A lookup, a read and a prefetch:
    /// changes no answer and no row. `mutating` only so that the generic handler passes the
    /// store by reference: as a non-mutating call on its `inout` store it copied the whole
    /// struct first (a 112-instruction `memcpy` per request, callgrind).
    public mutating func prefetchCaller(publicKey: PublicKey) {
        if let handle = nodeByKey[publicKey] { nodeDense.prefetch(handle) }
    }
}
