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
        nodeDense[handle].seenMicros = micros
        sightings.set(handle, seen: micros)
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

    /// Sets a node's running count (`nodeRunning[handle].count`, which the caller just changed)
    /// in its dense fields and moves it in the free-slot index.
    mutating func setNodeRunning(_ handle: Int, _ running: Int) {
        let capacity = nodeDense[handle].capacity
        let before = capacity - nodeDense[handle].running
        nodeDense[handle].running = running
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
    /// O(n): the observer runs the consistency check during simulations.
    func snapshotIndexProblems() -> [String] {
        var problems: [String] = []
        var expectedSightings: [(handle: Int, seen: Int64)] = []
        var expectedFree: [(handle: Int, free: Int)] = []
        // Deleted nodes' dense fields read NULL (`checkConsistency` checks that apart).
        for handle in nodeDense.indices where nodeDense[handle].seenMicros != .min {
            expectedSightings.append((handle, nodeDense[handle].seenMicros))
            let free = nodeDense[handle].capacity - nodeDense[handle].running
            if free > 0 { expectedFree.append((handle, free)) }
        }
        let live = sightings.liveEntries
        var listed = [Bool](repeating: false, count: nodeDense.count)
        for entry in live where entry.handle < listed.count { listed[entry.handle] = true }
        if !sightings.isConsistent || live.count != expectedSightings.count
            || !expectedSightings.allSatisfy({ listed[$0.handle] })
            || !live.allSatisfy({ $0.handle < nodeDense.count && nodeDense[$0.handle].seenMicros == $0.seen })
        {
            problems.append("sighting order differs from the nodes' last_seen_at (\(live.count) entries, \(expectedSightings.count) seen nodes)")
        }
        let indexed = freeSlots.entries
        if !freeSlots.isConsistent(id: { nodeDense[$0].id }) || indexed.count != expectedFree.count
            || !zip(indexed, expectedFree).allSatisfy({ $0.handle == $1.handle && $0.free == $1.free })
        {
            problems.append("free-slot index differs from the nodes' free slots (\(indexed.count) entries, \(expectedFree.count) expected)")
        }
        return problems
    }
}
