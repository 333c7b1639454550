import CPrefetch

/// An append-only array kept in fixed-size pages that never move: the embedded store's
/// row tables (chunk slots and results, node rows), which only grow.
///
/// Why not `[Element]`: an array that grows by doubling is, after its last growth, up to half
/// empty (100,000 chunk slots sit in room for 131,072), and while it grows the old and the new
/// buffer are both live, so a table of 100,000 96-byte slots peaked at 12.6 MB. Here the first
/// page doubles up to `pageSize` elements; every later page is allocated at its full size once
/// and filled in place. Nothing is ever copied on growth, and the slack is at most one
/// partly filled page (plus 8 bytes per page in the page list).
///
/// Element `i` is `pages[i >> pageShift][i & pageMask]`: a shift, a mask and two loads where a
/// flat array has one. Value semantics as an array's (pages are arrays: copy on write).
struct PagedArray<Element>: RandomAccessCollection, MutableCollection {
    /// 1,024 elements a page: 72 KB of chunk slots, small beside a fleet's tables and cheap
    /// to keep partly filled for a small store.
    static var pageShift: Int { 10 }
    static var pageSize: Int { 1 << pageShift }
    static var pageMask: Int { pageSize - 1 }

    private var pages: [[Element]] = []
    private(set) var count = 0

    init() {}

    var startIndex: Int { 0 }
    var endIndex: Int { count }

    subscript(position: Int) -> Element {
        // No check of its own: a negative position fails the page list's bounds check, one at or
        // past `count` the last page's (every earlier page is full).
        // A getter, not `_read`: measured, yielding a borrow made `nodes[h]!.field` copy whole
        // node rows (+23 M instructions in the N = 1,000 bench); the inlined getter does not.
        @inline(__always) get { pages[position &>> Self.pageShift][position & Self.pageMask] }
        @inline(__always) _modify { yield &pages[position &>> Self.pageShift][position & Self.pageMask] }
    }

    /// A hint that the element at `position` will be read soon: the lines it spans are
    /// requested from memory (the first, the one 64 bytes on for an element larger than a
    /// line, the last). Changes nothing but timing; a position outside `0..<count` asks for
    /// nothing.
    @inline(__always)
    func prefetch(_ position: Int) {
        guard let element = prefetchAddress(position) else { return }
        let size = MemoryLayout<Element>.size
        cprefetch_read(element)
        if size > 64 { cprefetch_read(element + 64) }
        if size > 1 { cprefetch_read(element + (size &- 1)) }
    }

    /// Where element `position` lies (nil outside `0..<count`), found without copying its
    /// page: the page's address is the page array's one word, read where the page list keeps
    /// it (a copy of the page would be a retain: an atomic write to its header), and its
    /// elements start 32 bytes in, the header of a native Swift array. That holds for elements
    /// aligned to at most 16 bytes (every element type the store keeps); `StoreMemoryTests`
    /// checks it against the page's own answer (`elementAddress`).
    @inline(__always)
    func prefetchAddress(_ position: Int) -> UnsafeRawPointer? {
        guard position >= 0, position < count else { return nil }
        return pages.withUnsafeBufferPointer { pages in
            let storage = UnsafeRawPointer(pages.baseAddress! + (position &>> Self.pageShift)).load(as: UnsafeRawPointer.self)
            return storage + 32 + (position & Self.pageMask) * MemoryLayout<Element>.stride
        }
    }

    /// Where element `position` lies, asked of its page (for the test).
    func elementAddress(_ position: Int) -> UnsafeRawPointer {
        pages[position &>> Self.pageShift].withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress! + (position & Self.pageMask)) }
    }

    /// Calls `body` with each element's position and the element itself, in order, to change
    /// it in place: one uniqueness check a page, where a write through the subscript checks
    /// the page list's and the page's at every element. For a pass over the whole table
    /// (`EmbeddedStore.setNodeSeen` after the sighting order's rebuild), in memory order.
    mutating func updateAll(_ body: (_ position: Int, _ element: inout Element) -> Void) {
        var start = 0
        for p in pages.indices {
            let count = pages[p].withUnsafeMutableBufferPointer { page -> Int in
                for i in page.indices { body(start &+ i, &page[i]) }
                return page.count
            }
            start &+= count
        }
    }

    mutating func append(_ element: Element) {
        let offset = count & Self.pageMask
        if offset == 0 {
            // A new page: the first starts small (a small store stays small), the others are
            // allocated whole.
            var page: [Element] = []
            page.reserveCapacity(pages.isEmpty ? 16 : Self.pageSize)
            pages.append(page)
        } else if pages.count == 1, offset == pages[0].capacity {
            // The first page doubles up to a page, never past it (an array's own growth could
            // leave it nearly twice a page).
            pages[0].reserveCapacity(Swift.min(Self.pageSize, 2 * offset))
        }
        pages[pages.count - 1].append(element)
        count += 1
    }

    /// Bytes held by the pages' element storage and the page list (for the memory figures).
    var byteCount: Int {
        pages.reduce(pages.capacity * MemoryLayout<[Element]>.stride) {
            $0 + $1.capacity * MemoryLayout<Element>.stride
        }
    }
}

extension PagedArray: Sendable where Element: Sendable {}
