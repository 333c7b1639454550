import Foundation
import Testing

/// `simharness bench fleet` at a tiny size (CI runs the benchmarks only to check they work; no
/// timing is asserted): it names the wire that ran and counts allocations per event through the
/// malloc interposition (`CAllocCounter`) on both wires, and refuses an unknown wire.
@Suite("bench fleet output")
struct FleetBenchOutputTests {
    static func output(_ arguments: [String]) throws -> (status: Int32, stdout: String) {
        let exe = try #require(CommandLineTests.findSimharness(), "build simharness first (swift build --product simharness)")
        let p = Process()
        p.executableURL = exe
        p.arguments = arguments
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// `key=value` fields of the one stdout line.
    static func fields(_ line: String) -> [String: String] {
        var out: [String: String] = [:]
        for part in line.split(whereSeparator: { $0 == " " || $0 == "\n" }) {
            let kv = part.split(separator: "=", maxSplits: 1)
            if kv.count == 2 { out[String(kv[0])] = String(kv[1]) }
        }
        return out
    }

    @Test(arguments: ["json", "typed"])
    func namesTheWireAndCountsAllocations(_ wire: String) throws {
        let (status, stdout) = try Self.output(["bench", "fleet", "--nodes", "40", "--jobs", "4", "--wire", wire])
        #expect(status == 0)
        let f = Self.fields(stdout)
        #expect(f["wire"] == wire)
        #expect(f["completed_jobs"] == "4")
        let allocs = try #require(f["allocs_per_event"].flatMap(Double.init), "allocs_per_event missing or unavailable: \(stdout)")
        // Every event of the real request path allocates something (a request, an answer).
        #expect(allocs > 0)
        #expect(f["cpu_seconds"] != nil)
    }

    @Test func anUnknownWireIsAUsageError() throws {
        let (status, _) = try Self.output(["bench", "fleet", "--nodes", "10", "--wire", "xml"])
        #expect(status == CommandLineTests.usageError)
    }
}
