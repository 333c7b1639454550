import Testing

@testable import JobSystem

/// `NodeAgent.prefetchWorkState` takes each collection of the agent's work state for a single
/// reference to its storage object (it prefetches from that address without reading it). These
/// pin that layout for the collections it is used on, so a platform or library where one is
/// laid out otherwise fails here rather than at the precondition in a run; that an array's
/// hinted address is its storage's; and that every state (empty or not) can be hinted.
@Suite struct NodeWorkStatePrefetchTests {
    @Test func theCollectionsAreOneReferenceEach() {
        #expect(MemoryLayout<[ChunkAssignment]>.size == MemoryLayout<UnsafeRawPointer>.size)
        #expect(MemoryLayout<[ConfigHash]>.size == MemoryLayout<UnsafeRawPointer>.size)
        #expect(MemoryLayout<[ChunkKey]>.size == MemoryLayout<UnsafeRawPointer>.size)
        #expect(MemoryLayout<Set<ChunkKey>>.size == MemoryLayout<UnsafeRawPointer>.size)
        #expect(MemoryLayout<[ConfigHash: ConfigState]>.size == MemoryLayout<UnsafeRawPointer>.size)
    }

    @Test func anArraysHintedAddressIsItsStorageAndEveryStateCanBeHinted() {
        // The same storage address the collection's own buffer reports (an array's elements
        // sit 32 bytes into its storage object): the address hinted at is the storage's.
        let keys = [ChunkKey(chunkID: ChunkID(Identifier(high: 1, low: 2)), attempt: 3)]
        let start = withUnsafeBytes(of: keys) { $0.load(as: UnsafeRawPointer.self) }
        keys.withUnsafeBufferPointer { #expect(UnsafeRawPointer($0.baseAddress!) == start + 32) }
        // Empty and non-empty collections alike can be hinted (an empty one is the shared empty
        // storage): these calls check only that hinting reads nothing it should not.
        prefetchStorage(of: keys, lines: 4)
        prefetchStorage(of: [ChunkKey](), lines: 4)
        prefetchStorage(of: Set(keys), lines: 2)
        prefetchStorage(of: Set<ChunkKey>(), lines: 2)
        prefetchStorage(of: [ConfigHash: ConfigState](), lines: 2)
        var recent = RecentSet<ChunkKey>(capacity: 1_024)
        recent.prefetch()
        for attempt in 0..<100 { recent.insert(ChunkKey(chunkID: keys[0].chunkID, attempt: attempt)) }
        recent.prefetch()  // past the linear limit: the hashed set's storage
        #expect(recent.contains(ChunkKey(chunkID: keys[0].chunkID, attempt: 99)))
    }
}
