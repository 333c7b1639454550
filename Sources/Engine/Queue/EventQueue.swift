/// A handle to a scheduled event, used to cancel it.
///
/// It names a slot in the queue's slab and the generation the slot had when the event was
/// scheduled; cancelling bumps the generation, so a stale handle (already fired or cancelled)
/// is harmless and a reused slot is never confused with an old event.
public struct EventHandle: Hashable, Sendable {
    @usableFromInline let slot: UInt32
    @usableFromInline let generation: UInt32
    @inlinable init(slot: UInt32, generation: UInt32) {
        self.slot = slot
        self.generation = generation
    }
    /// A handle that refers to nothing; cancelling it does nothing.
    public static let none = EventHandle(slot: .max, generation: .max)
}

/// The simulation's priority queue: events ordered by (time, insertion sequence), so that
/// events due at the same instant run in the order they were scheduled, as in swift-nio's
/// `EmbeddedEventLoop`.
///
/// It is the hottest structure of the project, shaped for that:
/// - the heap holds small 24-byte keys `(time, seq, slot, generation)`; payloads sit still in
///   a slab (an array with a free list) and never move during sift operations;
/// - cancellation is O(1): it bumps the slot's generation and frees the slot; the stale heap
///   key is skipped when it surfaces (lazy deletion), so no search through the heap;
/// - in the steady state nothing is allocated: the heap and the slab keep their capacity and
///   freed slots are reused.
/// swift-collections' `Heap` is a min-max heap over whole elements; a plain binary min-heap of
/// small keys does fewer comparisons per pop and moves no payloads. `simharness bench engine`
/// measures this structure under the project's workload.
public struct EventQueue<Payload> {
    @usableFromInline struct Key {
        @usableFromInline var time: Int64
        @usableFromInline var seq: UInt64
        @usableFromInline var slot: UInt32
        @usableFromInline var generation: UInt32
        @inlinable init(time: Int64, seq: UInt64, slot: UInt32, generation: UInt32) {
            self.time = time
            self.seq = seq
            self.slot = slot
            self.generation = generation
        }
        @inlinable func precedes(_ o: Key) -> Bool {
            time < o.time || (time == o.time && seq < o.seq)
        }
    }

    @usableFromInline struct Slot {
        @usableFromInline var generation: UInt32
        @usableFromInline var payload: Payload?
        @inlinable init(generation: UInt32, payload: Payload?) {
            self.generation = generation
            self.payload = payload
        }
    }

    @usableFromInline var heap: [Key] = []
    @usableFromInline var slots: [Slot] = []
    @usableFromInline var freeSlots: [UInt32] = []
    @usableFromInline var nextSeq: UInt64 = 0
    /// Events scheduled and neither fired nor cancelled.
    @usableFromInline var _liveCount: Int = 0
    public var liveCount: Int { _liveCount }

    public init() {}

    @inlinable public var isEmpty: Bool { _liveCount == 0 }

    /// Schedules `payload` at `time`. Events at equal times fire in scheduling order.
    @inlinable
    public mutating func schedule(at time: Int64, _ payload: Payload) -> EventHandle {
        let slot: UInt32
        if let s = freeSlots.popLast() {
            slot = s
            slots[Int(s)].payload = payload
        } else {
            slot = UInt32(slots.count)
            slots.append(Slot(generation: 0, payload: payload))
        }
        let gen = slots[Int(slot)].generation
        let key = Key(time: time, seq: nextSeq, slot: slot, generation: gen)
        nextSeq &+= 1
        _liveCount += 1
        heap.append(key)
        siftUp(heap.count - 1)
        return EventHandle(slot: slot, generation: gen)
    }

    /// Cancels a scheduled event. Returns false if it had already fired or been cancelled.
    @inlinable @discardableResult
    public mutating func cancel(_ handle: EventHandle) -> Bool {
        let i = Int(handle.slot)
        guard i < slots.count, slots[i].generation == handle.generation, slots[i].payload != nil else {
            return false
        }
        release(slot: i)
        return true
    }

    /// Whether the event behind `handle` is still due to fire.
    @inlinable public func isPending(_ handle: EventHandle) -> Bool {
        let i = Int(handle.slot)
        return i < slots.count && slots[i].generation == handle.generation && slots[i].payload != nil
    }

    /// The time of the next live event, discarding cancelled keys on the way.
    @inlinable
    public mutating func peekTime() -> Int64? {
        while let top = heap.first {
            if slots[Int(top.slot)].generation == top.generation { return top.time }
            popKey()
        }
        return nil
    }

    /// Removes and returns the next live event.
    @inlinable
    public mutating func pop() -> (time: Int64, payload: Payload)? {
        while let top = heap.first {
            popKey()
            let i = Int(top.slot)
            if slots[i].generation == top.generation {
                let p = slots[i].payload.unsafelyUnwrapped
                release(slot: i)
                return (top.time, p)
            }
        }
        return nil
    }

    @inlinable mutating func release(slot i: Int) {
        slots[i].generation &+= 1
        slots[i].payload = nil
        freeSlots.append(UInt32(i))
        _liveCount -= 1
    }

    @inlinable mutating func popKey() {
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            siftDown(0)
        }
    }

    @inlinable mutating func siftUp(_ start: Int) {
        var i = start
        let key = heap[i]
        while i > 0 {
            let parent = (i - 1) >> 1
            let p = heap[parent]
            if !key.precedes(p) { break }
            heap[i] = p
            i = parent
        }
        heap[i] = key
    }

    @inlinable mutating func siftDown(_ start: Int) {
        let n = heap.count
        var i = start
        let key = heap[i]
        while true {
            let l = 2 * i + 1
            if l >= n { break }
            let r = l + 1
            var c = l
            if r < n && heap[r].precedes(heap[l]) { c = r }
            if !heap[c].precedes(key) { break }
            heap[i] = heap[c]
            i = c
        }
        heap[i] = key
    }
}
