import Engine
import JobSystem

/// What the observer keeps of each chunk, by the store's own chunk handle
/// (`EmbeddedStore.chunkHandle(of:)`: dense, in creation order, never reused, since chunks are
/// never deleted), so that the observer builds no index of chunk ids of its own.
///
/// What the checks need of a chunk, and for how long:
/// - when it last became pending (the assignment delay, `recovered-in-time`), only while it is
///   pending; when its current claim was made (`reclaim-after-timeout`, `live-claims-kept`, the
///   reap delay), only while it is running. A change to pending drops the claim time, a claim
///   drops the pending time, a completion drops both: the two are never held at once, so one
///   8-byte time and two bits saying which it is hold both.
/// - how many claims it had (`single-assignee`: each claim's attempt number must be the next),
///   for its whole life: a completed chunk claimed again is still counted;
/// - whether a node's worker started it, and whether one finished it: the measures count each
///   start and each finish beyond the first, so one bit each is enough.
///
/// So a chunk costs a 4-byte word for the whole run, and an 8-byte time while it is pending or
/// running. Both are kept in pages of `pageSize` entries, allocated as the store's handles reach
/// them, that never move (a doubling array had its old and new buffers live at once at the
/// peak); a page of times is freed when none of its chunks is pending or running, and made again
/// if one becomes so. Before: a `[ChunkID: Int32]` index and 32-byte entries, 12 MB at the peak
/// of a 100,000-chunk fleet.
///
/// A chunk id the store does not know (none is expected: every chunk a node computes was
/// assigned from the store) gets an entry of its own under a negative handle, so that nothing
/// would be lost if one ever appeared.
struct ChunkLedger {
    /// What an entry's time means.
    enum TimeState: UInt32 {
        case none = 0
        /// When the chunk last became pending (`SimInstant` nanoseconds).
        case pending = 1
        /// When its current claim was made (`Timestamp` microseconds, from the change feed).
        case claimed = 2
    }

    static let pageBits = 10
    static let pageSize = 1 << pageBits
    /// The word: bits 0-1 the time's meaning, bit 2 started, bit 3 finished, bits 4-31 claims.
    static let stateMask: UInt32 = 0b11
    static let startedBit: UInt32 = 1 << 2
    static let finishedBit: UInt32 = 1 << 3
    static let claimShift: UInt32 = 4
    static let maxClaims = Int(UInt32.max >> claimShift)

    /// Pages of words, one per store handle from 0.
    private var words: [[UInt32]] = []
    /// Pages of times, beside the pages of words; empty while no chunk of the page holds a time.
    private var times: [[Int64]] = []
    /// Per page, how many of its chunks hold a time.
    private var timed: [Int32] = []

    private var strayHandles: [ChunkID: Int] = [:]
    private var strayWords: [UInt32] = []
    private var strayTimes: [Int64] = []

    // MARK: Handles

    /// The chunk's handle: the store's, else (an id the store never made) one of the ledger's
    /// own, negative, made on first use.
    mutating func handle(_ id: ChunkID, store: borrowing EmbeddedStore) -> Int {
        if let h = store.chunkHandle(of: id) { return h }
        if let k = strayHandles[id] { return -1 - k }
        strayHandles[id] = strayWords.count
        strayWords.append(0)
        strayTimes.append(0)
        return -strayWords.count
    }

    /// The chunk's handle if it has one (a read makes none).
    func existingHandle(_ id: ChunkID, store: borrowing EmbeddedStore) -> Int? {
        if let h = store.chunkHandle(of: id) { return h }
        return strayHandles[id].map { -1 - $0 }
    }

    // MARK: Reads

    /// The chunk's word (zero for a handle not written yet).
    @inline(__always)
    func word(_ h: Int) -> UInt32 {
        if h < 0 { return strayWords[-1 - h] }
        let p = h &>> Self.pageBits
        return p < words.count ? words[p][h & (Self.pageSize - 1)] : 0
    }

    @inline(__always)
    func timeState(_ h: Int) -> TimeState { TimeState(rawValue: word(h) & Self.stateMask)! }

    /// The time of a chunk that holds one.
    private func time(_ h: Int) -> Int64 {
        if h < 0 { return strayTimes[-1 - h] }
        return times[h &>> Self.pageBits][h & (Self.pageSize - 1)]
    }

    /// When its current claim was made (from the change feed), nil if it holds none.
    func claimedAt(_ h: Int) -> Timestamp? {
        timeState(h) == .claimed ? Timestamp(micros: time(h)) : nil
    }

    /// When it last became pending, nil once assigned or completed.
    func pendingSince(_ h: Int) -> SimInstant? {
        timeState(h) == .pending ? SimInstant(nanoseconds: time(h)) : nil
    }

    /// Claims made of the chunk so far.
    func claims(_ h: Int) -> Int { Int(word(h) >> Self.claimShift) }

    /// `claimedAt` of a chunk by id (nil for one never seen).
    func claimedAt(_ id: ChunkID, store: borrowing EmbeddedStore) -> Timestamp? {
        existingHandle(id, store: store).flatMap { claimedAt($0) }
    }

    /// `pendingSince` of a chunk by id (nil for one never seen).
    func pendingSince(_ id: ChunkID, store: borrowing EmbeddedStore) -> SimInstant? {
        existingHandle(id, store: store).flatMap { pendingSince($0) }
    }

    // MARK: Changes

    /// The chunk became pending at `now`: it holds no claim.
    mutating func markPending(_ h: Int, since now: SimInstant) { setTime(h, .pending, now.nanoseconds) }

    /// The chunk was claimed at `at`: one claim more. Returns the claims so far and when it
    /// became pending, if it was (that time is dropped).
    mutating func markClaimed(_ h: Int, at: Timestamp) -> (claims: Int, pendingSince: SimInstant?) {
        let since = pendingSince(h)
        let claims = self.claims(h) + 1
        precondition(claims <= Self.maxClaims, "a chunk's claims fit in 28 bits")
        setTime(h, .claimed, at.micros)
        setWord(h, word(h) & ~(UInt32.max << Self.claimShift) | UInt32(claims) << Self.claimShift)
        return (claims, since)
    }

    /// The chunk holds neither a claim nor a pending time (it completed).
    mutating func clearTime(_ h: Int) { setTime(h, .none, 0) }

    /// A node's worker started the chunk; returns whether one had started it before.
    mutating func noteStarted(_ h: Int) -> Bool { setBit(h, Self.startedBit) }

    /// A node's worker finished the chunk; returns whether one had finished it before.
    mutating func noteFinished(_ h: Int) -> Bool { setBit(h, Self.finishedBit) }

    private mutating func setBit(_ h: Int, _ bit: UInt32) -> Bool {
        let w = word(h)
        if w & bit == 0 { setWord(h, w | bit) }
        return w & bit != 0
    }

    private mutating func setWord(_ h: Int, _ w: UInt32) {
        if h < 0 {
            strayWords[-1 - h] = w
            return
        }
        let p = h &>> Self.pageBits
        if p >= words.count { addPages(through: p) }
        words[p][h & (Self.pageSize - 1)] = w
    }

    /// Sets the chunk's time and what it means, allocating or freeing its page of times.
    private mutating func setTime(_ h: Int, _ state: TimeState, _ value: Int64) {
        let old = word(h)
        setWord(h, old & ~Self.stateMask | state.rawValue)
        if h < 0 {
            strayTimes[-1 - h] = value
            return
        }
        let p = h &>> Self.pageBits
        let wasTimed = old & Self.stateMask != 0
        let isTimed = state != .none
        if isTimed && !wasTimed {
            if timed[p] == 0 { times[p] = [Int64](repeating: 0, count: Self.pageSize) }
            timed[p] += 1
        } else if wasTimed && !isTimed {
            timed[p] -= 1
            if timed[p] == 0 { times[p] = [] }
        }
        if isTimed { times[p][h & (Self.pageSize - 1)] = value }
    }

    private mutating func addPages(through p: Int) {
        while words.count <= p {
            words.append([UInt32](repeating: 0, count: Self.pageSize))
            times.append([])
            timed.append(0)
        }
    }

    // MARK: Accounting

    /// Pages of words and of times allocated now (what the model test bounds).
    var pagesAllocated: (words: Int, times: Int) { (words.count, times.lazy.filter { !$0.isEmpty }.count) }
}
