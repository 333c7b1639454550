/// One chunk as the embedded store keeps it: the columns that change, in 96 bytes.
///
/// The public `ChunkRow` is 272 bytes (two optional 17-byte node ids, a 65-byte optional result
/// aligned to 16, a reference-counted config hash) and the store kept three more arrays beside
/// it; at 100,000 chunks the rows alone were 27 MB, copying one cost a retain and a release,
/// and the pending-queue walk and the reaper read a few bytes out of every 272. Here:
/// - what a chunk shares with its job is read from the job: `job_id`, `config_hash`,
///   `created_at` (a job's chunks are inserted in the job's statement), and `iterations` and
///   `seed_offset`, which `createJob`'s chunking derives from the chunk's index;
/// - node references are node handles (`-1` for NULL): handles are never reused and
///   `nodeDense` keeps a deleted node's id, so a completed chunk still names a deleted node;
/// - the result lives in `EmbeddedStore.chunkResults`, read only by completion and reads.
/// 96 bytes with the claim renewal; with the results' 64, 160 bytes a chunk where the row
/// and its side arrays took about 380 (with the id dictionary).
/// `EmbeddedStore.chunkRow(_:)` rebuilds the public row, field for field.
struct ChunkSlot: Sendable {
    var id: ChunkID
    var pendingSeq: Int64
    /// `claimed_at` and `completed_at` in micros, meaningful only under `hasClaimedAt` /
    /// `hasCompletedAt` in `flags` (NULL otherwise).
    var claimedAtMicros: Int64
    var completedAtMicros: Int64
    var attempt: Int
    /// The attempt of the completion stored last (internal, not a column; see `completedBy`).
    var completedAttempt: Int
    /// `claim_renewed_at` (micros) and the attempt it renewed: when the holder last named the
    /// chunk in a heartbeat. `renewedAttempt` 0 is no renewal (every claim's attempt is at
    /// least 1). A new claim has a new attempt, so an old renewal never counts. (It was a
    /// dictionary by handle, hashed on every heartbeat and never emptied of completed chunks.)
    var renewedAtMicros: Int64
    var renewedAttempt: Int
    var job: Int32
    var index: Int32
    /// `node_id`, `last_node_id` and the node whose completion was stored last, as node handles.
    var node: Int32
    var lastNode: Int32
    var completedBy: Int32
    var status: ChunkStatus
    var flags: UInt8

    static let hasClaimedAt: UInt8 = 1
    static let hasCompletedAt: UInt8 = 2
    static let noNode: Int32 = -1

    var claimedAt: Timestamp? {
        get { flags & Self.hasClaimedAt != 0 ? Timestamp(micros: claimedAtMicros) : nil }
        set {
            if let newValue {
                claimedAtMicros = newValue.micros
                flags |= Self.hasClaimedAt
            } else {
                claimedAtMicros = 0
                flags &= ~Self.hasClaimedAt
            }
        }
    }

    var completedAt: Timestamp? {
        get { flags & Self.hasCompletedAt != 0 ? Timestamp(micros: completedAtMicros) : nil }
        set {
            if let newValue {
                completedAtMicros = newValue.micros
                flags |= Self.hasCompletedAt
            } else {
                completedAtMicros = 0
                flags &= ~Self.hasCompletedAt
            }
        }
    }
}

extension EmbeddedStore {
    /// The empty tally standing for a NULL `result` in `chunkResults` (a `ChunkResult` has at
    /// least one iteration, so no stored result is ever empty).
    static let noResult = DamageTally(fightLengthSeconds: 1)

    /// The public row of a chunk, rebuilt from its slot, its job and its result.
    func chunkRow(_ handle: Int) -> ChunkRow {
        let slot = chunkSlots[handle]
        let job = Int(slot.job)
        let row = jobs[job]
        return ChunkRow(
            id: slot.id, jobID: row.id, index: Int(slot.index), nodeID: nodeID(slot.node), configHash: row.configHash,
            iterations: chunkIterations(handle), seedOffset: chunkSeedOffset(handle), status: slot.status,
            result: chunkResult(handle), claimedAt: slot.claimedAt, completedAt: slot.completedAt, createdAt: row.createdAt,
            attempt: slot.attempt, lastNodeID: nodeID(slot.lastNode), pendingSeq: slot.pendingSeq)
    }

    /// The id of a node handle (`nil` for `noNode`); deleted nodes keep theirs in `nodeDense`.
    @inline(__always) func nodeID(_ handle: Int32) -> NodeID? {
        handle < 0 ? nil : nodeDense[Int(handle)].id
    }

    /// `createJob`'s chunking: `chunkIterations` each, the last taking the remainder.
    @inline(__always) func chunkIterations(_ handle: Int) -> Int {
        let slot = chunkSlots[handle]
        let job = Int(slot.job)
        let size = jobChunkIterations[job]
        return min(size, jobs[job].totalIterations - Int(slot.index) * size)
    }

    /// The sum of the iterations of the chunks before it in its job.
    @inline(__always) func chunkSeedOffset(_ handle: Int) -> Int64 {
        let slot = chunkSlots[handle]
        return Int64(slot.index) * Int64(jobChunkIterations[Int(slot.job)])
    }

    @inline(__always) func chunkResult(_ handle: Int) -> ChunkResult? {
        let tally = chunkResults[handle]
        return tally.iterations == 0 ? nil : ChunkResult(tally: tally)
    }
}
