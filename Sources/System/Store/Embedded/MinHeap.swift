/// A binary min-heap over a totally ordered element, for the store's time-ordered work lists
/// (claims by `claimed_at` for the reaper, remembered signatures by expiry).
///
/// Elements carry their own tie-breaks in their `<`, so the pop order is fully determined by
/// the values pushed, never by insertion accidents or hashing. The store deletes lazily: an
/// element stays in the heap until it reaches the top and is then checked against the rows.
struct MinHeap<Element: Comparable & Sendable>: Sendable {
    private(set) var storage: [Element] = []

    var isEmpty: Bool { storage.isEmpty }
    var count: Int { storage.count }
    var min: Element? { storage.first }

    mutating func push(_ element: Element) {
        storage.append(element)
        var child = storage.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard storage[child] < storage[parent] else { break }
            storage.swapAt(child, parent)
            child = parent
        }
    }

    @discardableResult
    mutating func popMin() -> Element? {
        guard let top = storage.first else { return nil }
        let last = storage.removeLast()
        if !storage.isEmpty {
            storage[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1, right = left + 1
                var smallest = parent
                if left < storage.count, storage[left] < storage[smallest] { smallest = left }
                if right < storage.count, storage[right] < storage[smallest] { smallest = right }
                if smallest == parent { break }
                storage.swapAt(parent, smallest)
                parent = smallest
            }
        }
        return top
    }
}
