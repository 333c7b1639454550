import CPrefetch

/// Body buffers a server reuses once their responses are gone: a ring of `[UInt8]` arrays.
///
/// Why: the heartbeat (nine requests in ten) answered with a freshly allocated body, and the
/// client freed it once read: a `malloc` and a `free` for every heartbeat, about a fifth of the
/// answer's cost. The ring keeps a reference to each body it hands out; when it comes round to
/// that slot again, the body is rewritten in place if nothing else holds it any more (the
/// response was delivered and dropped), and only a body still held elsewhere (in flight, or
/// kept by someone) is left to its holders while a new one takes the slot. Arrays stay values:
/// a body is only ever written while the ring's reference is its only one, so no holder can see
/// it change. With no slots (`none`) every body is a new array, as before.
///
/// The server's own memory, like its `RateLimiter`: the caller keeps it between requests and
/// passes it `inout` (`RequestHandlers.begin(_:store:limiter:buffers:now:)`).
public struct ResponseBuffers: Sendable {
    @usableFromInline var ring: [[UInt8]]
    @usableFromInline var next = 0

    /// A ring of `slots` buffers (rounded up to a power of two; 0: none, every body new).
    /// Enough slots that a slot's last body has been delivered by the time the ring comes round:
    /// the responses in flight at once (each body of some 120 bytes).
    public init(slots: Int) {
        var n = slots > 0 ? 1 : 0
        while n > 0 && n < slots { n <<= 1 }
        ring = Array(repeating: [], count: n)
    }

    /// No ring: every body is a new array.
    public static var none: ResponseBuffers { ResponseBuffers(slots: 0) }

    /// Asks for the cache lines of the body the next `bytes` call will look at (the next slot's
    /// array: its reference count, count and first 96 bytes), a hint only.
    ///
    /// Why: a slot comes round once every `ring.count` answers, and at 10,000 nodes its body
    /// is cold by then: `bytes`' first read of it (the count, then the uniqueness check) waited
    /// on memory, most of `directHeartbeatAnswer`'s own time under `perf`. The server asks
    /// when a transaction starts, so the lines arrive while the request is authenticated.
    /// The body's address is the array's one word, read where the ring keeps it (no copy of the
    /// array: a copy is a retain, an atomic write to that same cold line);
    /// `ResponseBuffersTests.prefetchAddressIsTheBodysBlock` checks that it is the block that
    /// holds the bytes. A prefetch never faults and changes nothing but timing.
    @inlinable @inline(__always)
    public func prefetchNext() {
        guard let body = bodyAddress(ofSlot: next) else { return }
        cprefetch_read(body)
        cprefetch_read(body + 64)
        cprefetch_read(body + 128)
    }

    /// The address of slot `i`'s array block (nil outside the ring), read as the array's one
    /// word where the ring keeps it: `prefetchNext` asks for it, the test checks it.
    @inlinable @inline(__always)
    func bodyAddress(ofSlot i: Int) -> UnsafeRawPointer? {
        ring.withUnsafeBufferPointer { slots in
            guard i >= 0, i < slots.count, let base = slots.baseAddress else { return nil }
            return UnsafeRawPointer(base + i).load(as: UnsafeRawPointer.self)
        }
    }

    /// An array of `count` bytes written by `write` (which must initialise all of them): the
    /// next slot's buffer when nothing else holds it, a new array otherwise.
    @inline(__always)
    public mutating func bytes(count: Int, _ write: (UnsafeMutablePointer<UInt8>) -> Void) -> [UInt8] {
        guard !ring.isEmpty else {
            return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialised in
                write(buffer.baseAddress!)
                initialised = count
            }
        }
        let i = next
        next = (next + 1) & (ring.count - 1)
        // The slot's body moved out of the ring and back (one uniqueness check of the ring, no
        // swap): while out, the body is unique if only the ring held it.
        return ring.withUnsafeMutableBufferPointer { slots in
            let slot = slots.baseAddress! + i
            var body = slot.move()
            if body.count == count && count > 0 {
                // The usual case (an answer as long as the slot's last one): written where it
                // is, no scratch and no second copy. `withUnsafeMutableBufferPointer` copies
                // a body still held elsewhere first, so its holders never see it change.
                body.withUnsafeMutableBufferPointer { write($0.baseAddress!) }
            } else {
                // Unique: emptied in place. Shared: a new buffer of the same capacity, the old
                // one left to its holders.
                body.removeAll(keepingCapacity: true)
                withUnsafeTemporaryAllocation(of: UInt8.self, capacity: count) { scratch in
                    write(scratch.baseAddress!)
                    body.append(contentsOf: UnsafeBufferPointer(scratch))
                }
            }
            slot.initialize(to: body)
            return body
        }
    }
}
