/// The chunk ids of a node's running assignments, read in place: the view a heartbeat's body
/// is written from.
///
/// Why not `running.lazy.map(\.chunkID)`: the key path's thunk takes each element by address
/// and copies the whole 96-byte `ChunkAssignment` out (a retain and a release of its config
/// hash's string, and a load from the element's second cache line) to read its first 16 bytes,
/// and the lazy view holds a reference to the array (a retain of its storage, a cold line).
/// This view borrows the array's buffer for the length of the body's writing
/// (`NodeAgent.withRunningChunkIDs`) and reads only the ids.
struct RunningChunkIDs: RandomAccessCollection {
    let assignments: UnsafeBufferPointer<ChunkAssignment>

    var startIndex: Int { 0 }
    var endIndex: Int { assignments.count }

    subscript(position: Int) -> ChunkID {
        precondition(position >= 0 && position < assignments.count, "RunningChunkIDs: index out of range")
        return assignments[position].chunkID
    }
}

extension NodeAgent {
    /// Calls `body` with the running assignments' ids, in start order, read in place.
    func withRunningChunkIDs<R>(_ body: (RunningChunkIDs) -> R) -> R {
        running.withUnsafeBufferPointer { body(RunningChunkIDs(assignments: $0)) }
    }
}
