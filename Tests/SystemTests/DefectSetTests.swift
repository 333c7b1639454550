import Testing
@testable import JobSystem

/// `DefectSet.bit` spells each defect's bit as a switch for speed; the bit must stay the case's
/// declaration order, which is what `allCases` lists, and sets must stay what they were.
@Suite struct DefectSetTests {
    @Test func eachBitIsTheDeclarationOrder() {
        var seen: UInt32 = 0
        for (index, defect) in Defect.allCases.enumerated() {
            #expect(DefectSet.bit(defect) == UInt32(1) << UInt32(index), "\(defect)")
            #expect(seen & DefectSet.bit(defect) == 0, "\(defect) shares a bit")
            seen |= DefectSet.bit(defect)
        }
        #expect(seen.nonzeroBitCount == Defect.allCases.count)
    }

    @Test func setsHoldWhatWasInserted() {
        let all = Defect.allCases
        // Every subset of the first few defects, and each single one of the rest.
        for mask in 0..<(1 << 5) {
            let members = all.enumerated().filter { mask & (1 << $0.offset) != 0 }.map(\.element)
            let set = DefectSet(members)
            #expect(set.members == members.sorted())
            for d in all { #expect(set.contains(d) == members.contains(d)) }
        }
        for d in all {
            var set = DefectSet.all
            set.remove(d)
            #expect(!set.contains(d))
            #expect(set.members.count == all.count - 1)
            set.insert(d)
            #expect(set == DefectSet.all)
        }
    }
}
