/// A fixed number of plain-data slots in one allocation that asks the kernel for 2 MiB pages
/// when it is at least that large: the replay cache's table (`ReplayCache`), 2 MiB at
/// 10,000 nodes (as many slots as one whole huge page holds) and read at two random places
/// by every signed request; and the key index's two tables (`NodeKeyIndex`), under 2 MiB at
/// 10,000 nodes, where what counts is that they start on a cache line.
///
/// Why: at 10,000 nodes the process's working set (about 55 MB) is many times what the
/// second-level TLB covers in 4 KiB pages, so a random slot of the table usually missed the TLB
/// as well as the cache, and the prefetches `ReplayCache.prepare` issues did not hide that: the
/// `perf` samples fell on the instruction after each prefetch, which waits for the page walk
/// (on this VM a nested one). A table on huge pages needs one or two TLB entries. (The node
/// hosts' storage gained the same way; both advise through `HugePages`.)
///
/// How: a table of at least 2 MiB is allocated 2 MiB-aligned and its whole 2 MiB pages are
/// advised (`madvise(MADV_HUGEPAGE)`) before they are first touched; every slot is then written
/// (zero bytes), so no memory is added: the same bytes are resident as with an `Array`. Smaller
/// tables are 64-byte aligned (a slot never straddles a line) and not advised. A hint only:
/// where transparent huge pages are off, or without glibc, the table is the same, on small
/// pages. It changes nothing but timing.
///
/// A reference type with value semantics by its owners: `ReplayCache` and `NodeKeyIndex` copy
/// it before writing when it is shared (`isKnownUniquelyReferenced`), as an `Array` would.
final class HugePageSlots<Slot: BitwiseCopyable>: @unchecked Sendable {
    /// The first slot; `count` slots, all initialised (to zero bytes, then as written).
    let base: UnsafeMutablePointer<Slot>
    let count: Int

    /// Allocations of at least this many bytes are 2 MiB-aligned and advised for huge pages.
    static var hugePage: Int { HugePages.size }

    /// `count` slots of zero bytes.
    init(zeroed count: Int) {
        precondition(count >= 0)
        self.count = count
        let bytes = Swift.max(1, count &* MemoryLayout<Slot>.stride)
        let huge = bytes >= Self.hugePage
        let raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: huge ? Self.hugePage : 64)
        if huge { HugePages.advise(raw, bytes: bytes) }  // its whole 2 MiB pages: `raw` is aligned
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
        base = raw.bindMemory(to: Slot.self, capacity: count)
    }

    /// A copy of `other`'s slots (for a write to a shared table).
    convenience init(copying other: HugePageSlots<Slot>) {
        self.init(zeroed: other.count)
        base.update(from: other.base, count: count)
    }

    deinit { UnsafeMutableRawPointer(base).deallocate() }

    /// Whether the table is large enough to have asked for huge pages (for tests).
    var isAdvised: Bool { count &* MemoryLayout<Slot>.stride >= Self.hugePage }
}
