import Engine

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
/// vacant, so ids skipped by the window (handed out elsewhere) are simply absent.
///
/// A slot is a plain `InFlightRequest`, vacant when its client is `vacantClient` (no actor has
/// a negative index), not an `Optional`: the optional's tag sat in the `Bool`'s spare values,
/// and each access moved and tested the whole 40-byte optional through outlined copies (about
/// 160 instructions a request for an insert and a removal, under callgrind). A removal now
/// writes the client's four bytes; insert and removal are inlined into their one caller each
/// (`apiServerReceive`), where the optional they answer is unwrapped at once.
struct InFlightRequests {
    /// `slots[id & mask]` holds request `id` for `first <= id < end`, vacant once it left;
    /// every other slot is vacant.
    private var slots: [InFlightRequest] = Array(repeating: .vacant, count: 64)
    private var mask: UInt64 = 63
    private var first: UInt64 = 0
    private var end: UInt64 = 0
    private(set) var count = 0

    var isEmpty: Bool { count == 0 }

    /// The request waiting for transaction `id`, if any. (Inlined: `World.transactionClient`
    /// and the look-ahead read one field of it.)
    @inline(__always)
    subscript(id: UInt64) -> InFlightRequest? {
        guard id >= first, id < end else { return nil }
        let request = slots[Int(id & mask)]
        return request.isVacant ? nil : request
    }

    /// Adds the request of transaction `id`, newer than every id added before.
    @inline(__always)
    mutating func insert(_ request: InFlightRequest, for id: UInt64) {
        precondition(id >= end, "transaction ids must increase")
        precondition(!request.isVacant, "a request's client is an actor")
        if count == 0 {
            // Empty: every slot is vacant, the window starts again here.
            first = id
        } else if id - first > mask {
            grow(toHold: id - first + 1)
        }
        slots[Int(id & mask)] = request
        end = id + 1
        count += 1
    }

    /// Removes and returns the request of transaction `id`, if it is waiting.
    @inline(__always)
    mutating func removeValue(forKey id: UInt64) -> InFlightRequest? {
        guard id >= first, id < end else { return nil }
        let slot = Int(id & mask)
        let request = slots[slot]
        guard !request.isVacant else { return nil }
        slots[slot].client = InFlightRequest.vacantClient
        count -= 1
        if count == 0 {
            first = end
        } else if id == first {
            // The oldest left: the window starts at the next one still waiting.
            repeat { first += 1 } while slots[Int(first & mask)].isVacant
        }
        return request
    }

    /// Every waiting request with its id, oldest first; the table is then empty.
    mutating func removeAll() -> [(id: UInt64, request: InFlightRequest)] {
        var waiting: [(id: UInt64, request: InFlightRequest)] = []
        waiting.reserveCapacity(count)
        var id = first
        while id < end {
            let request = slots[Int(id & mask)]
            if !request.isVacant {
                waiting.append((id, request))
                slots[Int(id & mask)] = .vacant
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
        var grown = [InFlightRequest](repeating: .vacant, count: Int(size))
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

extension InFlightRequest {
    /// The client of a vacant slot (`InFlightRequests`): no actor's index is negative.
    /// (Computed, not `static let`: a constant where it is used, no lazy global's check.)
    static var vacantClient: ActorID { ActorID(Int32(-1)) }
    /// A vacant slot's value.
    static var vacant: InFlightRequest { InFlightRequest(client: vacantClient, requestID: 0, typedWire: false) }
    /// Whether this is a vacant slot's value rather than a request.
    var isVacant: Bool { client.index < 0 }
}
