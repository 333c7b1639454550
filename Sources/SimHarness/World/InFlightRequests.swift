/// The API server's requests waiting for their transaction, by transaction id
/// (`APIServerHost.inFlight`), looked up and removed once per request.
///
/// Ids are handed out in increasing order (`World.nextTransaction`), and a request leaves when
/// its transaction's answer comes back (nearly in order: the latencies differ) or all at once
/// (a crash, dropped connections). So the waiting ones fit a window of ids from the oldest
/// waiting one (`first`) to the newest (`end - 1`), kept in a ring of a power-of-two size at
/// `id & mask`: an insert writes one slot, a lookup reads one, a removal empties its slot and,
/// if it was the oldest, moves `first` past the empty slots. A `Dictionary` hashed the id on
/// every access; the window kept in an array moved its live part to the front now and then
/// and emptied itself through the array's generic paths (about 170 instructions a request for
/// an insert and a removal). The ring grows (doubling) only when the window is wider than
/// it: a slow transaction keeps the window open behind it. Every slot outside the window is
/// nil, so ids skipped by the window (handed out elsewhere) are simply absent.
struct InFlightRequests {
    /// `slots[id & mask]` holds request `id` for `first <= id < end`, nil once it left; every
    /// other slot is nil.
    private var slots: [InFlightRequest?] = Array(repeating: nil, count: 64)
    private var mask: UInt64 = 63
    private var first: UInt64 = 0
    private var end: UInt64 = 0
    private(set) var count = 0

    var isEmpty: Bool { count == 0 }

    /// The request waiting for transaction `id`, if any.
    subscript(id: UInt64) -> InFlightRequest? {
        guard id >= first, id < end else { return nil }
        return slots[Int(id & mask)]
    }

    /// Adds the request of transaction `id`, newer than every id added before.
    mutating func insert(_ request: InFlightRequest, for id: UInt64) {
        precondition(id >= end, "transaction ids must increase")
        if count == 0 {
            // Empty: every slot is nil, the window starts again here.
            first = id
        } else if id - first > mask {
            grow(toHold: id - first + 1)
        }
        slots[Int(id & mask)] = request
        end = id + 1
        count += 1
    }

    /// Removes and returns the request of transaction `id`, if it is waiting.
    mutating func removeValue(forKey id: UInt64) -> InFlightRequest? {
        guard id >= first, id < end else { return nil }
        let slot = Int(id & mask)
        guard let request = slots[slot] else { return nil }
        slots[slot] = nil
        count -= 1
        if count == 0 {
            first = end
        } else if id == first {
            // The oldest left: the window starts at the next one still waiting.
            repeat { first += 1 } while slots[Int(first & mask)] == nil
        }
        return request
    }

    /// Every waiting request with its id, oldest first; the table is then empty.
    mutating func removeAll() -> [(id: UInt64, request: InFlightRequest)] {
        var waiting: [(id: UInt64, request: InFlightRequest)] = []
        waiting.reserveCapacity(count)
        var id = first
        while id < end {
            if let request = slots[Int(id & mask)] {
                waiting.append((id, request))
                slots[Int(id & mask)] = nil
            }
            id += 1
        }
        first = end
        count = 0
        return waiting
    }

    /// A ring of at least `span` slots (doubling), the window's requests moved to their new
    /// slots.
    private mutating func grow(toHold span: UInt64) {
        var size = UInt64(slots.count)
        while size < span { size *= 2 }
        var grown = [InFlightRequest?](repeating: nil, count: Int(size))
        let newMask = size - 1
        var id = first
        while id < end {
            grown[Int(id & newMask)] = slots[Int(id & mask)]
            id += 1
        }
        slots = grown
        mask = newMask
    }
}
