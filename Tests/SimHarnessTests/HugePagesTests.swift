import Engine
import JobSystem
import Testing

@testable import SimHarness

/// `HugePages.stretch`: the range asked for huge pages is made of whole aligned 2 MiB pages and
/// lies inside the storage (a hint outside it could touch another allocation's pages), checked
/// against a page-by-page count over seeded starts and sizes.
@Suite struct HugePagesTests {
    @Test func stretchIsTheWholeAlignedPagesInside() {
        var rng = SplitMix64(seed: 42)
        func next() -> UInt64 { rng.next() }
        let page = UInt(HugePages.size)
        for _ in 0..<2_000 {
            let start = UInt(next() % (1 << 40)) &* 16
            let bytes = Int(next() % (12 << 20))
            // The model: every aligned page whose whole extent lies inside the storage.
            var whole: [UInt] = []
            var p = (start / page) * page
            while p + page <= start + UInt(bytes) {
                if p >= start { whole.append(p) }
                p += page
            }
            let r = HugePages.stretch(start: start, bytes: bytes)
            if whole.isEmpty {
                #expect(r == nil)
            } else {
                #expect(r == whole.first! ..< whole.last! + page)
            }
        }
        #expect(HugePages.stretch(start: 0, bytes: 0) == nil)
        #expect(HugePages.stretch(start: page, bytes: Int(page)) == page ..< 2 * page)
        #expect(HugePages.stretch(start: page + 16, bytes: Int(page)) == nil)
    }
}
