/// The API server's requests waiting for their transaction, by transaction id
/// (`APIServerHost.inFlight`), looked up and removed once per request.
///
/// Ids are handed out in increasing order (`World.nextTransaction`), and a request leaves when
/// its transaction's answer comes back (nearly in order: the latencies differ) or all at once
/// (a crash, dropped connections). So the waiting ones fit a window of slots from the oldest
/// waiting id to the newest, indexed by `id - first`: an insert appends, a lookup is an index,
/// a removal empties its slot and moves the window's start past empty slots. A `Dictionary`
/// hashed the id on every access. Its size is the span of ids between the oldest waiting
/// request and the newest (a slow transaction keeps the window open behind it); empty, the
/// window starts again at the next id.
struct InFlightRequests {
    /// `slots[head + (id - first)]` holds request `id`, nil once it left.
    private var slots: [InFlightRequest?] = []
    private var head = 0
    private var first: UInt64 = 0
    private(set) var count = 0

    var isEmpty: Bool { count == 0 }

    /// The request waiting for transaction `id`, if any.
    subscript(id: UInt64) -> InFlightRequest? {
        guard id >= first, id - first < UInt64(slots.count - head) else { return nil }
        return slots[head + Int(id - first)]
    }

    /// Adds the request of transaction `id`, newer than every id added before.
    mutating func insert(_ request: InFlightRequest, for id: UInt64) {
        if count == 0 {
            slots.removeAll(keepingCapacity: true)
            head = 0
            first = id
        }
        let end = first + UInt64(slots.count - head)
        precondition(id >= end, "transaction ids must increase")
        for _ in end..<id { slots.append(nil) }  // ids never handed to this table
        slots.append(request)
        count += 1
    }

    /// Removes and returns the request of transaction `id`, if it is waiting.
    mutating func removeValue(forKey id: UInt64) -> InFlightRequest? {
        guard let request = self[id] else { return nil }
        slots[head + Int(id - first)] = nil
        count -= 1
        while head < slots.count, slots[head] == nil {
            head += 1
            first += 1
        }
        if head == slots.count {
            slots.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 64, 2 * head >= slots.count {
            // The emptied front is dropped now and then, so the storage stays about the span.
            slots.removeFirst(head)
            head = 0
        }
        return request
    }

    /// Every waiting request with its id, oldest first; the table is then empty.
    mutating func removeAll() -> [(id: UInt64, request: InFlightRequest)] {
        var waiting: [(id: UInt64, request: InFlightRequest)] = []
        waiting.reserveCapacity(count)
        for (offset, slot) in slots[head...].enumerated() {
            if let slot { waiting.append((first + UInt64(offset), slot)) }
        }
        slots.removeAll(keepingCapacity: true)
        head = 0
        count = 0
        return waiting
    }
}
