import CPrefetch

/// Cache hints for a chunk's bookkeeping: what an assignment, a finished computation or a
/// completion's answer reads besides the agent's own fields.
///
/// Why: those inputs walk the node's work state, each part in a heap block of its own (the
/// queue, the running list, the set of active claims, the recently finished ones, the config
/// cache and its use order), and at 10,000 nodes every one of them is cold when its chunk
/// event comes (a node sees a chunk event every few hundred simulated seconds). Read one after
/// the other, the misses add up: `fillSlots`, `RecentSet.insert/contains`, `Set.remove/contains`
/// and `touchConfig` were 2.5 % of a fleet run's samples, almost all on the first load of a
/// block. Asked for together when the input arrives, the lines come in at once. Hints only:
/// nothing is read through these addresses, so they change nothing but timing.
extension NodeAgent {
    /// Asks for the first lines of every block of the work state.
    @inline(__always)
    public func prefetchWorkState() {
        prefetchStorage(of: queue, lines: 3)
        prefetchStorage(of: running, lines: 3)
        prefetchStorage(of: configUse, lines: 2)
        prefetchStorage(of: active, lines: 2)
        // Six lines: a node's table of one config (the fleet's jobs share one) is a storage of
        // two buckets, its header, bitmap, keys and 88-byte values in about 280 bytes, which
        // can span six lines; `firstReadyInQueue` reads the value's last word first, and that
        // load (the value's, past the two lines asked for before) was 80 % of its samples.
        prefetchStorage(of: configs, lines: 6)
        finished.prefetch()
    }
}

/// Asks for the first `lines` lines of the storage object of an `Array`, a `Set` or a
/// `Dictionary` (each a single reference to it): the object's header with the count, then an
/// array's first elements, or a set's or dictionary's occupancy bitmap. An empty collection's
/// is the shared empty storage. Nothing is read through the address (reading the count would
/// wait for the very line asked for), and the reference is not retained (a retain writes the
/// object's header).
@inline(__always)
func prefetchStorage<Collection>(of collection: borrowing Collection, lines: Int) {
    precondition(MemoryLayout<Collection>.size == MemoryLayout<UnsafeRawPointer>.size)
    let start = withUnsafeBytes(of: collection) { $0.load(as: UnsafeRawPointer.self) }
    for line in 0..<lines { cprefetch_read(start + 64 * line) }
}
