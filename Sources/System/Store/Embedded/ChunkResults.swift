/// The chunks' `result` column as the embedded store keeps it: 32 bytes a chunk (a
/// `DamageTally` is 64: two 128-bit sums aligned to 16, four 64-bit fields), in pages that never
/// move.
///
/// A result's sums fit in 64 bits and its per-iteration extremes in 32 for any fight the
/// workloads run (the fleet's iterations deal about 360,000 damage; a 1,000-iteration chunk
/// whose iterations deal a million sums their squares to 10^15, far below 1.8 × 10^19), so the
/// compact form keeps the sums' low halves and 32-bit extremes and counts. A result that does
/// not fit (high halves, extremes or counts at or above 2^32: only forged or extreme fights) is
/// *spilled*: kept whole in a side list, its compact entry pointing there. Either way `tally(_:)` returns exactly the tally
/// stored. A spilled chunk written again reuses its place in the side list.
///
/// Read by completion (the job's aggregate), the public row (`chunk(_:)`, `chunks(ofJob:)`)
/// and the consistency check; never by the hot paths, which walk `ChunkSlot`s.
struct ChunkResults: Sendable {
    /// One chunk's result, or NULL (`iterations == 0`; a stored result has at least one
    /// iteration). `fightLengthSeconds == 0` marks a spilled result (no tally has a fight of 0
    /// seconds): `spilled[Int(damageSumLow)]` holds it.
    struct Stored: Sendable {
        var damageSumLow: UInt64
        var damageSquaresSumLow: UInt64
        var minDamage: UInt32
        var maxDamage: UInt32
        var iterations: UInt32
        var fightLengthSeconds: UInt32

        static let null = Stored(
            damageSumLow: 0, damageSquaresSumLow: 0, minDamage: 0, maxDamage: 0, iterations: 0, fightLengthSeconds: 0)

        /// The compact form of `tally`, if every field fits.
        init?(_ tally: DamageTally) {
            guard tally.damageSum >> 64 == 0, tally.damageSquaresSum >> 64 == 0,
                let minDamage = UInt32(exactly: tally.minDamage), let maxDamage = UInt32(exactly: tally.maxDamage),
                let iterations = UInt32(exactly: tally.iterations), iterations > 0,
                let fightLength = UInt32(exactly: tally.fightLengthSeconds), fightLength > 0
            else { return nil }
            self.init(
                damageSumLow: UInt64(tally.damageSum), damageSquaresSumLow: UInt64(tally.damageSquaresSum),
                minDamage: minDamage, maxDamage: maxDamage, iterations: iterations, fightLengthSeconds: fightLength)
        }

        init(
            damageSumLow: UInt64, damageSquaresSumLow: UInt64, minDamage: UInt32, maxDamage: UInt32, iterations: UInt32,
            fightLengthSeconds: UInt32
        ) {
            self.damageSumLow = damageSumLow
            self.damageSquaresSumLow = damageSquaresSumLow
            self.minDamage = minDamage
            self.maxDamage = maxDamage
            self.iterations = iterations
            self.fightLengthSeconds = fightLengthSeconds
        }

        var isNull: Bool { iterations == 0 }
        var isSpilled: Bool { iterations != 0 && fightLengthSeconds == 0 }
    }

    private var stored = PagedArray<Stored>()
    /// Results that do not fit the compact form, by the index their entry holds.
    private var spilled: [DamageTally] = []

    /// Chunks with a result column (NULL or not).
    var count: Int { stored.count }

    /// A new chunk's NULL result.
    mutating func appendNull() { stored.append(.null) }

    /// A hint that the chunk's entry will be read soon (`PagedArray.prefetch`): changes nothing
    /// but timing.
    @inline(__always) func prefetch(_ handle: Int) { stored.prefetch(handle) }

    /// Whether the chunk's result is NULL.
    @inline(__always) func isNull(_ handle: Int) -> Bool { stored[handle].isNull }

    /// The chunk's result, nil for NULL.
    func tally(_ handle: Int) -> DamageTally? {
        let entry = stored[handle]
        if entry.isNull { return nil }
        if entry.isSpilled { return spilled[Int(entry.damageSumLow)] }
        return DamageTally(
            restoringFightLengthSeconds: Int(entry.fightLengthSeconds), iterations: Int(entry.iterations),
            damageSum: UInt128(entry.damageSumLow), damageSquaresSum: UInt128(entry.damageSquaresSumLow),
            minDamage: UInt64(entry.minDamage), maxDamage: UInt64(entry.maxDamage))
    }

    /// Stores the chunk's result (`tally` has at least one iteration).
    mutating func set(_ handle: Int, _ tally: DamageTally) {
        precondition(tally.iterations > 0, "a stored result has at least one iteration")
        if let compact = Stored(tally) {
            stored[handle] = compact
            return
        }
        let old = stored[handle]
        let place: Int
        if old.isSpilled {
            place = Int(old.damageSumLow)
            spilled[place] = tally
        } else {
            place = spilled.count
            spilled.append(tally)
        }
        stored[handle] = Stored(
            damageSumLow: UInt64(place), damageSquaresSumLow: 0, minDamage: 0, maxDamage: 0, iterations: 1, fightLengthSeconds: 0)
    }

    /// How many results are spilled (for tests and the memory figures).
    var spilledCount: Int { spilled.count }

    /// Bytes held (for the memory figures).
    var byteCount: Int { stored.byteCount + spilled.capacity * MemoryLayout<DamageTally>.stride }
}
