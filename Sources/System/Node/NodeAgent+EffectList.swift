extension NodeAgent {
    /// The effects of the inputs handed to an agent, in the order it gave them: what `handle`
    /// appends to and its driver takes out with `drain`, which leaves the list empty and keeps
    /// its storage for the next input.
    ///
    /// Why not an `Array` (what `handle(_:now:effects:)` with `[Effect]` still offers, for the
    /// production runner and the tests): a simulated fleet hands its agents two inputs per
    /// heartbeat (its timer and the answer), with four effects between them, through one reused
    /// buffer. An array can only
    /// be emptied by destroying its elements, each through the effect's generic value witness
    /// (about 70 instructions apiece, even for the payload-free placeholders a moved-out effect
    /// had to leave behind), and each element moved out through its subscript cost a uniqueness
    /// check, three copies of the 184-byte effect and two outlined enum-tag calls. Here an
    /// effect is moved out of its slot once, and emptying the list is setting its count.
    ///
    /// A value with copy-on-write storage, allocated at the first append (an empty list, as a
    /// placeholder swapped in while the driver holds the real one, allocates nothing).
    public struct EffectList {
        /// Room for `capacity` effects, of which the first `count.pointee` are initialised.
        /// Every stored property is a `let` (the count is behind a pointer): a class's stored
        /// `var`s are checked for exclusive access at run time on every access, a
        /// `swift_beginAccess` call each (about 170 instructions an append in a first version).
        @usableFromInline final class Storage {
            @usableFromInline let base: UnsafeMutablePointer<Effect>
            @usableFromInline let capacity: Int
            @usableFromInline let count: UnsafeMutablePointer<Int>

            @usableFromInline init(capacity: Int) {
                self.base = .allocate(capacity: capacity)
                self.capacity = capacity
                self.count = .allocate(capacity: 1)
                self.count.initialize(to: 0)
            }

            deinit {
                base.deinitialize(count: count.pointee)
                base.deallocate()
                count.deallocate()
            }

            /// A storage of at least `capacity` slots holding this one's effects, copied
            /// (`move == false`) or moved (this one is left empty).
            @usableFromInline func clone(capacity: Int, move: Bool) -> Storage {
                let n = count.pointee
                let other = Storage(capacity: Swift.max(capacity, n))
                if move {
                    other.base.moveInitialize(from: base, count: n)
                    count.pointee = 0
                } else {
                    other.base.initialize(from: base, count: n)
                }
                other.count.pointee = n
                return other
            }
        }

        /// Owns the memory (nil until the first append). `base`, `counter` and `capacity` are
        /// its fields, copied into the list so that an append loads no reference (a load of
        /// `storage`'s fields retained and released it around every append).
        @usableFromInline var storage: Storage?
        @usableFromInline var base: UnsafeMutablePointer<Effect>?
        @usableFromInline var counter: UnsafeMutablePointer<Int>?
        @usableFromInline var capacity = 0

        public init() {}

        public var count: Int { counter?.pointee ?? 0 }
        public var isEmpty: Bool { count == 0 }

        /// Appends `effect` after the others.
        @inlinable public mutating func append(_ effect: consuming Effect) {
            if _slowPath(!isKnownUniquelyReferenced(&storage) || counter.unsafelyUnwrapped.pointee == capacity) {
                makeRoom()
            }
            let n = counter.unsafelyUnwrapped.pointee
            (base.unsafelyUnwrapped + n).initialize(to: effect)
            counter.unsafelyUnwrapped.pointee = n &+ 1
        }

        /// Gives the list storage of its own (copied if another list shares it) with room for
        /// one more effect (doubled when full).
        @usableFromInline mutating func makeRoom() {
            let n = counter?.pointee ?? 0
            let room = n < capacity ? capacity : Swift.max(8, 2 * capacity)
            // Asked before `storage` is bound below (a binding is one more reference).
            let unique = isKnownUniquelyReferenced(&storage)
            let fresh = storage.map { $0.clone(capacity: room, move: unique) } ?? Storage(capacity: room)
            storage = fresh
            base = fresh.base
            counter = fresh.count
            capacity = fresh.capacity
        }

        /// Moves the effects out in order, each into `body`, and leaves the list empty with its
        /// storage kept. `body` cannot reach this list (it is borrowed for the call); effects it
        /// makes go to another list.
        @inlinable public mutating func drain(_ body: (consuming Effect) -> Void) {
            guard let counter, counter.pointee > 0 else { return }
            if _slowPath(!isKnownUniquelyReferenced(&storage)) {
                // Shared with a copy of this list: take copies, and leave the copy its effects.
                let shared = storage.unsafelyUnwrapped
                storage = nil
                self.counter = nil
                base = nil
                capacity = 0
                for k in 0..<counter.pointee { body(shared.base[k]) }
                return
            }
            let n = counter.pointee
            let base = base.unsafelyUnwrapped
            // Emptied first: each slot is uninitialised once its effect has moved out.
            counter.pointee = 0
            var k = 0
            while k < n {
                body((base + k).move())
                k &+= 1
            }
        }

        /// The effects, copied out in order (for tests and reports).
        public var effects: [Effect] {
            guard let base, let counter else { return [] }
            return Array(UnsafeBufferPointer(start: base, count: counter.pointee))
        }
    }
}
