extension EmbeddedStore {
    /// The chunk's dense handle (its creation order, `0..<chunkTotal`), nil for an id the
    /// store never made. Chunks are never deleted, so a handle names one chunk for the store's
    /// whole life: the harness's observer keeps its per-chunk ledger in pages by it instead of
    /// building a second `id → entry` index of its own (that index was 8 MB at 100,000 chunks).
    public func chunkHandle(of id: ChunkID) -> Int? { chunkHandle(id) }
}
