/// Events delivered so far by kind (`WorldEvent.kindIndex`), counted inline in the `World`.
///
/// Why not an `[UInt64]`: `World.run` counts every event, and an array stored in the world pays
/// a uniqueness check (a runtime call) before each write; a fixed tuple is plain memory in the
/// world's own value (so a copy of the world copies its counts, as the array did).
struct EventKindCounts: Sendable {
    /// Room for this many kinds (`WorldEvent.kindNames.count` must not exceed it: `World.init`
    /// checks).
    static let capacity = 24
    private var storage: (
        UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
        UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
        UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64
    ) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)

    /// Adds one event of kind `i` (`0 ..< capacity`).
    @inline(__always) mutating func add(_ i: Int) {
        precondition(i >= 0 && i < Self.capacity, "EventKindCounts: kind out of range")
        withUnsafeMutableBytes(of: &storage) { raw in
            let p = raw.baseAddress!.assumingMemoryBound(to: UInt64.self) + i
            p.pointee &+= 1
        }
    }

    /// The count of kind `i` (`0 ..< capacity`).
    subscript(i: Int) -> UInt64 {
        precondition(i >= 0 && i < Self.capacity, "EventKindCounts: kind out of range")
        return withUnsafeBytes(of: storage) { $0.load(fromByteOffset: i * 8, as: UInt64.self) }
    }
}
