import Engine
import JobSystem

/// What the observer tracks of each chunk, in one dense array by a handle per chunk: a change
/// hashes the chunk id once, where five dictionaries keyed by the id (claim time, pending
/// time, claims, computations, finishes) hashed it up to five times and kept three lasting
/// tables of 16-byte keys (about 19 MB at 100,000 chunks, a `Dictionary` growing by doubling;
/// this is about 9).
struct ChunkLedger {
    /// One chunk's entry: 32 bytes, the optionals spelt as flags beside their values so that
    /// no value is reserved to mean "none".
    struct Entry {
        var claimedAtMicros: Int64 = 0
        var pendingSinceNanos: Int64 = 0
        /// Claims made of the chunk so far (each claim's attempt number must be the next).
        var claims: Int32 = 0
        /// Times a node's worker started it.
        var computations: Int32 = 0
        /// Times a node's worker finished it.
        var finished: Int32 = 0
        var isClaimed = false
        var isPending = false

        /// When its current claim was made (from the change feed), nil if it holds none.
        var claimedAt: Timestamp? {
            get { isClaimed ? Timestamp(micros: claimedAtMicros) : nil }
            set {
                isClaimed = newValue != nil
                claimedAtMicros = newValue?.micros ?? 0
            }
        }

        /// When it last became pending, nil once assigned or completed.
        var pendingSince: SimInstant? {
            get { isPending ? SimInstant(nanoseconds: pendingSinceNanos) : nil }
            set {
                isPending = newValue != nil
                pendingSinceNanos = newValue?.nanoseconds ?? 0
            }
        }
    }

    private var handles: [ChunkID: Int32] = [:]
    private(set) var entries: [Entry] = []

    /// The chunk's handle, made (with an empty entry) on first use.
    mutating func handle(_ id: ChunkID) -> Int {
        if let h = handles[id] { return Int(h) }
        precondition(entries.count < Int(Int32.max), "chunk handles fit in Int32")
        handles[id] = Int32(entries.count)
        entries.append(Entry())
        return entries.count - 1
    }

    /// The chunk's entry, nil if it was never seen (reads make no handle).
    subscript(id: ChunkID) -> Entry? { handles[id].map { entries[Int($0)] } }

    subscript(handle h: Int) -> Entry {
        get { entries[h] }
        _modify { yield &entries[h] }
    }
}
