/// The memory behind `EventQueue`'s slots: per slot, the pending event's word and its payload.
///
/// Laid out for the queue's two hot reads:
/// - the words are one dense array of 8-byte values. Every key that reaches a heap's root is
///   checked against its slot's word (is it still pending?), on every pop and for both heaps'
///   roots; a dense array keeps those checks in a few cache lines (eight slots per line)
///   instead of one line per slot of a slab of whole events;
/// - the payloads sit in fixed-size pages of `pageSize` slots that never move: a growing queue
///   adds a page and copies nothing (an array of whole events doubles, so its old and new
///   buffers are both live while it grows, and up to half of the new one is never used);
///   a slot's page is `slot >> pageShift`. A payload is initialised only while its slot holds a
///   pending or held event (its word is not `EventQueue.freeWord`), with no `Optional` around it: no
///   enum tag to read or store on the way in or out.
///
/// The queue is a value type: this class only owns the memory. `EventQueue` keeps copies of the
/// three pointers for its hot path and makes the storage unique (`clone()`) before it writes,
/// so a copied queue never shares what it mutates.
@usableFromInline final class EventSlab<Payload> {
    @inlinable static var pageShift: Int { 10 }
    @inlinable static var pageSize: Int { 1 << pageShift }

    /// `words[0..<wordCapacity]`; `words[0..<count]` are the slots in use (pending or free).
    @usableFromInline var words: UnsafeMutablePointer<UInt64>
    @usableFromInline var wordCapacity: Int
    /// `pages[0..<pageCount]`, each `pageSize` payloads; `pageCapacity` pointers allocated.
    @usableFromInline var pages: UnsafeMutablePointer<UnsafeMutablePointer<Payload>>
    @usableFromInline var pageCount: Int
    @usableFromInline var pageCapacity: Int
    /// Slots handed out so far (those below it have a word; a payload if pending).
    @usableFromInline var count: Int = 0

    @usableFromInline init(wordCapacity: Int, pageCapacity: Int) {
        self.wordCapacity = wordCapacity
        self.words = .allocate(capacity: wordCapacity)
        self.pageCapacity = pageCapacity
        self.pages = .allocate(capacity: pageCapacity)
        self.pageCount = 0
    }

    deinit {
        for slot in 0..<count where words[slot] != EventQueue<Payload>.freeWord {
            (pages[slot >> Self.pageShift] + (slot & (Self.pageSize - 1))).deinitialize(count: 1)
        }
        for p in 0..<pageCount { pages[p].deallocate() }
        pages.deallocate()
        words.deallocate()
    }

    /// Adds a page of slots (`count` is at a page boundary: `pageCount * pageSize`).
    @usableFromInline func grow() {
        if (pageCount + 1) * Self.pageSize > wordCapacity {
            let bigger = UnsafeMutablePointer<UInt64>.allocate(capacity: wordCapacity * 2)
            bigger.initialize(from: words, count: count)
            words.deallocate()
            words = bigger
            wordCapacity *= 2
        }
        if pageCount == pageCapacity {
            let bigger = UnsafeMutablePointer<UnsafeMutablePointer<Payload>>.allocate(capacity: pageCapacity * 2)
            bigger.initialize(from: pages, count: pageCount)
            pages.deallocate()
            pages = bigger
            pageCapacity *= 2
        }
        pages[pageCount] = .allocate(capacity: Self.pageSize)
        pageCount += 1
    }

    /// A copy with its own memory (the pending payloads copied).
    @usableFromInline func clone() -> EventSlab {
        let c = EventSlab(wordCapacity: wordCapacity, pageCapacity: pageCapacity)
        c.words.initialize(from: words, count: count)
        for p in 0..<pageCount { c.pages[p] = .allocate(capacity: Self.pageSize) }
        c.pageCount = pageCount
        for slot in 0..<count where words[slot] != EventQueue<Payload>.freeWord {
            let page = slot >> Self.pageShift
            let offset = slot & (Self.pageSize - 1)
            (c.pages[page] + offset).initialize(to: pages[page][offset])
        }
        c.count = count
        return c
    }
}
