#if canImport(Glibc)
import Glibc
#endif

/// Asks the kernel to back a large array's storage with 2 MiB pages (`madvise(MADV_HUGEPAGE)`)
/// where it can: the whole aligned 2 MiB stretches inside it. A hint only: it changes nothing
/// but timing (and no memory: the stretches are inside storage that is written in full), and it
/// is ignored where transparent huge pages are off, or without glibc (not Linux, or the static
/// Linux SDK's Musl: the call is compiled only where the import it needs is).
///
/// The advice belongs to the address range, not to the array: when the array is freed, a range
/// that came from the heap rather than from its own mapping (glibc serves large blocks from the
/// heap once its mapping threshold has risen, as it does in a process that builds many worlds,
/// `run --all` or a sweep) keeps asking for huge pages for whatever is allocated there next.
/// That changes timing and, at worst, how much of that range is resident; never behaviour.
///
/// Used by the World's node hosts and by `HugePageSlots` (the replay cache's table).
///
/// Why: at 10,000 nodes the node hosts are 7.5 MB, and every node event starts on a host that
/// is neither in the cache nor, often, in the TLB (the process's working set, about 55 MB, is
/// several times what the second-level TLB covers in 4 KiB pages). The system's default
/// (`madvise`) gives huge pages only to memory that asks for them.
package enum HugePages {
    package static let size = 2 << 20

    package static func advise(_ start: UnsafeRawPointer, bytes: Int) {
        #if canImport(Glibc)
        guard let r = stretch(start: UInt(bitPattern: start), bytes: bytes),
            let p = UnsafeMutableRawPointer(bitPattern: r.lowerBound)
        else { return }
        _ = madvise(p, Int(r.upperBound - r.lowerBound), MADV_HUGEPAGE)
        #endif
    }

    /// The whole aligned huge pages inside `start ..< start + bytes`; nil if none fits.
    package static func stretch(start: UInt, bytes: Int) -> Range<UInt>? {
        let mask = UInt(size - 1)
        let (rounded, over) = start.addingReportingOverflow(mask)
        guard !over, bytes > 0 else { return nil }
        let begin = rounded & ~mask
        let (last, past) = start.addingReportingOverflow(UInt(bytes))
        guard !past else { return nil }
        let end = last & ~mask
        return end > begin ? begin ..< end : nil
    }
}
