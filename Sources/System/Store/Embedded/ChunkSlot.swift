/// One chunk as the embedded store keeps it: the columns that change, in 40 bytes.
///
/// The public `ChunkRow` is 272 bytes (two optional 17-byte node ids, a 65-byte optional result
/// aligned to 16, a reference-counted config hash) and the store kept three more arrays beside
/// it; at 100,000 chunks the rows alone were 27 MB, copying one cost a retain and a release,
/// and the pending-queue walk and the reaper read a few bytes out of every 272. Here:
/// - what a chunk shares with its job is read from the job: `job_id`, `config_hash`,
///   `created_at` (a job's chunks are inserted in the job's statement), `index` (a job's
///   chunks take consecutive handles, so the index is the handle less the job's first), and
///   `iterations` and `seed_offset`, which `createJob`'s chunking derives from the index;
/// - the id is not stored: a job's chunks take consecutive ids of the store's SplitMix64
///   stream, whose state only adds a constant per draw, so the job keeps the stream's state
///   before its first chunk and chunk `i`'s id is recomputed from it (`EmbeddedStore.chunkID`,
///   a few multiplies; `createJob` checks each one against the id drawn);
/// - `pending_seq` is the chunk's handle plus one: a chunk takes it when inserted (chunks are
///   inserted in handle order, one sequence value each) and keeps it (`EmbeddedStore.pendingSeq`);
/// - node references are node handles (`-1` for NULL): handles are never reused and
///   `nodeDense` keeps a deleted node's id, so a completed chunk still names a deleted node;
/// - `node_id` is not stored apart: it is NULL or `last_node_id` (an assignment sets both to
///   the node, a release sets `node_id` NULL, nothing else writes them), so it is one bit in
///   `flags`; setting it to anything but NULL or `last_node_id` traps;
/// - attempts are 32-bit, as the `int` columns are in PostgreSQL;
/// - `claim_renewed_at` lives with the claim in the node's running list (`RunningClaim`), not
///   here: a renewal counts only for the claim it was made under, and that entry exists exactly
///   as long as the claim (made by `assign`, removed by `leaveRunning`), so only running chunks
///   pay for it;
/// - the result lives in `EmbeddedStore.chunkResults`, read only by completion and reads.
/// 40 bytes (48 with the index and `node_id` stored; 96 with the id, 64-bit attempts, a stored
/// `pending_seq` and the renewal), in pages that never move (`PagedArray`); with the results'
/// 32 (`ChunkResults`), 72 bytes a chunk
/// where the row and its side arrays took about 380 (with the id dictionary).
/// `EmbeddedStore.chunkRow(_:)` rebuilds the public row, field for field.
struct ChunkSlot: Sendable {
    /// `claimed_at` and `completed_at` in micros, meaningful only under `hasClaimedAt` /
    /// `hasCompletedAt` in `flags` (NULL otherwise).
    var claimedAtMicros: Int64
    var completedAtMicros: Int64
    var attempt: Int32
    /// The attempt of the completion stored last (internal, not a column; see `completedBy`).
    var completedAttempt: Int32
    var job: Int32
    /// `last_node_id` and the node whose completion was stored last, as node handles.
    var lastNode: Int32
    var completedBy: Int32
    var status: ChunkStatus
    var flags: UInt8

    static let hasClaimedAt: UInt8 = 1
    static let hasCompletedAt: UInt8 = 2
    /// `node_id` is `lastNode` (clear: NULL).
    static let hasNode: UInt8 = 4
    static let noNode: Int32 = -1

    /// A new chunk: pending, never assigned, no claim, no completion.
    init(job: Int32) {
        claimedAtMicros = 0
        completedAtMicros = 0
        attempt = 0
        completedAttempt = 0
        self.job = job
        lastNode = Self.noNode
        completedBy = Self.noNode
        status = .pending
        flags = 0
    }

    /// `node_id` as a node handle (`noNode` for NULL): NULL or `lastNode` (see the type's
    /// comment). Set `lastNode` first when assigning.
    var node: Int32 {
        @inline(__always) get { flags & Self.hasNode != 0 ? lastNode : Self.noNode }
        set {
            if newValue == Self.noNode {
                flags &= ~Self.hasNode
            } else {
                precondition(newValue == lastNode, "node_id is NULL or last_node_id")
                flags |= Self.hasNode
            }
        }
    }

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
    /// The public row of a chunk, rebuilt from its slot, its job and its result.
    func chunkRow(_ handle: Int) -> ChunkRow {
        let slot = chunkSlots[handle]
        let job = Int(slot.job)
        // The job's fields read in place (a `JobRow` copy retained and released its strings).
        return ChunkRow(
            id: chunkID(handle), jobID: jobs[job].id, index: chunkIndexInJob(handle, slot), nodeID: nodeID(slot.node), configHash: jobs[job].configHash,
            iterations: chunkIterations(handle), seedOffset: chunkSeedOffset(handle), status: slot.status,
            result: chunkResult(handle), claimedAt: slot.claimedAt, completedAt: slot.completedAt, createdAt: jobs[job].createdAt,
            attempt: Int(slot.attempt), lastNodeID: nodeID(slot.lastNode), pendingSeq: pendingSeq(handle))
    }

    /// A chunk's id, recomputed from its job's id stream (see `ChunkSlot`).
    @inline(__always) func chunkID(_ handle: Int) -> ChunkID {
        let slot = chunkSlots[handle]
        return Self.chunkID(stream: jobChunkIDStreams[Int(slot.job)], index: chunkIndexInJob(handle, slot))
    }

    /// The id of a running claim's chunk, from the claim's own job handle (no slot read).
    @inline(__always) func chunkID(ofClaim claim: RunningClaim) -> ChunkID {
        let job = Int(claim.job)
        return Self.chunkID(stream: jobChunkIDStreams[job], index: claim.chunk - jobChunks[job].lowerBound)
    }

    /// The chunk's `index` in its job: its handle less the job's first (see `ChunkSlot`).
    @inline(__always) func chunkIndexInJob(_ handle: Int, _ slot: ChunkSlot) -> Int {
        handle - jobChunks[Int(slot.job)].lowerBound
    }

    /// The id of chunk `index` of a job whose chunks' ids were drawn from `stream` on: two
    /// draws each (`Identifier.random`).
    @inline(__always) static func chunkID(stream: UInt64, index: Int) -> ChunkID {
        var ids = SplitMix64(seed: stream &+ UInt64(2 * index) &* SplitMix64.gamma)
        return ChunkID(Identifier.random(using: &ids))
    }

    /// `pending_seq`: the chunk's handle plus one (see `ChunkSlot`; `enqueuePending` checks it).
    @inline(__always) func pendingSeq(_ handle: Int) -> Int64 { Int64(handle) + 1 }

    /// The id of a node handle (`nil` for `noNode`); deleted nodes keep theirs in `nodeDense`.
    @inline(__always) func nodeID(_ handle: Int32) -> NodeID? {
        handle < 0 ? nil : nodeDense[Int(handle)].id
    }

    /// `createJob`'s chunking: `chunkIterations` each, the last taking the remainder.
    @inline(__always) func chunkIterations(_ handle: Int) -> Int {
        let slot = chunkSlots[handle]
        let job = Int(slot.job)
        let size = jobChunkIterations[job]
        return min(size, jobs[job].totalIterations - chunkIndexInJob(handle, slot) * size)
    }

    /// The sum of the iterations of the chunks before it in its job.
    @inline(__always) func chunkSeedOffset(_ handle: Int) -> Int64 {
        let slot = chunkSlots[handle]
        return Int64(chunkIndexInJob(handle, slot)) * Int64(jobChunkIterations[Int(slot.job)])
    }

    @inline(__always) func chunkResult(_ handle: Int) -> ChunkResult? {
        chunkResults.tally(handle).map { ChunkResult(tally: $0) }
    }
}
