/// The snapshot's two indexes (`SightingOrder`, `FreeSlotIndex`), kept in step with the dense
/// fields they are built from: every write of a node's `last_seen_at` or running count goes
/// through these two setters, and `checkConsistency()` compares both indexes with the fields.
extension EmbeddedStore {
    /// Sets a node's `last_seen_at` (micros; `Int64.min` for NULL: a deleted node) in its dense
    /// fields and in both indexes. A node enters the free-slot index at its first sighting (a
    /// node never seen is never online) and leaves it when deleted.
    mutating func setNodeSeen(_ handle: Int, micros: Int64) {
        let old = nodeDense[handle].seenMicros
        guard old != micros else { return }
        let position = sightings.set(handle, from: nodeDense[handle].sightingPosition, seen: micros)
        // Both fields in one access to the paged table (each access checks two buffers' uniqueness).
        Self.setSighting(&nodeDense[handle], micros, position)
        if sightings.moved {
            // A rebuild (a sighting out of order, or a compaction): every live entry moved; a
            // node without one keeps -1. The new positions are gathered by handle first, then
            // written in handle order, in one pass over the dense table: written in the
            // order's own order (by sighting), each went to a random node's entry (at 10,000
            // nodes a cache miss each, every 5,000 heartbeats or so: most of `setNodeSeen`'s
            // `perf` samples) through the paged table's two uniqueness checks.
            var positions = [Int32](repeating: -1, count: nodeDense.count)
            sightings.forEachLive { h, position, _ in positions[h] = position }
            positions.withUnsafeBufferPointer { positions in
                nodeDense.updateAll { h, node in
                    if positions[h] >= 0 { node.sightingPosition = positions[h] }
                }
            }
        }
        guard (old == .min) != (micros == .min) else { return }
        let free = nodeDense[handle].capacity - nodeDense[handle].running
        guard free > 0 else { return }
        if old == .min {
            freeSlots.insert(handle: handle, free: free, id: nodeDense[handle].id)
            regroupFreeSlotsIfDue()
        } else {
            freeSlots.remove(handle: handle, free: free, id: nodeDense[handle].id)
        }
    }

    @inline(__always) private static func setSighting(_ node: inout DenseNode, _ micros: Int64, _ position: Int32) {
        node.seenMicros = micros
        node.sightingPosition = position
    }

    /// Sets a node's running count (`nodeRunning[handle].count`, which the caller just changed)
    /// and its oldest claim (`DenseNode.firstClaim`) in its dense fields and moves it in the
    /// free-slot index.
    mutating func setNodeRunning(_ handle: Int, _ running: Int) {
        let capacity = nodeDense[handle].capacity
        let before = capacity - nodeDense[handle].running
        nodeDense[handle].setRunning(running, first: nodeRunning[handle].first?.chunk)
        let after = capacity - running
        guard before != after, nodeDense[handle].seenMicros != .min else { return }
        let id = nodeDense[handle].id
        if before > 0 { freeSlots.remove(handle: handle, free: before, id: id) }
        if after > 0 {
            freeSlots.insert(handle: handle, free: after, id: id)
            regroupFreeSlotsIfDue()
        }
    }

    private mutating func regroupFreeSlotsIfDue() {
        guard freeSlots.needsRegroup else { return }
        let dense = nodeDense  // (a reference to the same pages: nothing is copied)
        freeSlots.regroup { dense[$0].id }
    }

    /// What is wrong with the indexes, compared with the dense fields (empty when nothing).
    /// O(n), one pass over the nodes and one over each index: the observer runs the
    /// consistency check during simulations.
    func snapshotIndexProblems() -> [String] {
        var problems: [String] = []
        let freeOf = freeSlots.freeByHandle(count: nodeDense.count)
        var seenNodes = 0, freeNodes = 0
        var sightingsAgree = sightings.isConsistent
        var freeAgree = freeSlots.isConsistent { nodeDense[$0].id }
        // Deleted nodes' dense fields read NULL (`checkConsistency` checks that apart).
        for handle in nodeDense.indices {
            let seen = nodeDense[handle].seenMicros
            let free = nodeDense[handle].capacity - nodeDense[handle].running
            if seen != .min {
                seenNodes += 1
                if let entry = sightings.liveEntry(at: nodeDense[handle].sightingPosition) {
                    if entry.handle != handle || entry.seen != seen { sightingsAgree = false }
                } else {
                    sightingsAgree = false
                }
            } else if nodeDense[handle].sightingPosition != -1 {
                sightingsAgree = false
            }
            let expected = seen != .min && free > 0 ? Int32(clamping: free) : 0
            if expected > 0 { freeNodes += 1 }
            if freeOf[handle] != expected { freeAgree = false }
        }
        if !sightingsAgree || sightings.liveCount != seenNodes {
            problems.append("sighting order differs from the nodes' last_seen_at (\(sightings.liveCount) live entries, \(seenNodes) seen nodes)")
        }
        if !freeAgree || freeSlots.count != freeNodes {
            problems.append("free-slot index differs from the nodes' free slots (\(freeSlots.count) entries, \(freeNodes) expected)")
        }
        return problems
    }
}
