import Foundation
import Testing

/// The `simharness` command line never traps: every bad argument is a usage error (exit 64)
/// before anything runs. Runs the executable built next to the tests (`swift build --product
/// simharness`, which `scripts/test` does first).
@Suite("Command line")
struct CommandLineTests {
    static let usageError: Int32 = 64

    static let badInvocations: [[String]] = [
        ["report", "happy-path", "--period", "1e-300"],
        ["report", "happy-path", "--period", "inf"],
        ["report", "happy-path", "--period", "nan"],
        ["report", "happy-path", "--period", "1e10"],
        ["report", "happy-path", "--period", "-5"],
        ["report", "no-such-scenario"],
        ["bench", "engine", "--seconds-simulated", "4611686018427387904"],
        ["bench", "engine", "--seconds-simulated", "-1"],
        ["bench", "engine", "--actors", "9223372036854775807"],
        ["bench", "engine", "--actors", "1"],
        ["bench", "fleet", "--nodes=-1"],
        ["bench", "fleet", "--nodes=0"],
        ["bench", "fleet", "--nodes=10000000000"],
        ["bench", "fleet", "--jobs=-1"],
        ["bench", "fleet", "--jobs=0"],
        ["bench", "fleet", "--seconds=0"],
        ["bench", "fleet", "--seconds=86401"],
        ["sweep", "--scenarios", ""],
        ["sweep", "--scenarios", ","],
        ["sweep", "--scenarios", "happy-path,"],
        ["sweep", "--profiles", ""],
        ["sweep", "--seeds", ""],
        ["sweep", "--workers", "0"],
        ["sweep", "--workers", "100000"],
        ["run", "no-such-scenario"],
        ["run", "happy-path", "--profile", ""],
        ["run", "happy-path", "--seed", "-1"],
        ["record", "no-such-scenario", "--out", "/dev/null"],
        ["record", "happy-path", "--profile", "nope", "--out", "/dev/null"],
        ["shrink", "happy-path", "--profile", "nope", "--out", "/dev/null"],
        ["shrink", "no-such-scenario", "--profile", "legacy", "--out", "/dev/null"],
        ["shrink", "happy-path", "--profile", "legacy", "--max-runs", "0", "--out", "/dev/null"],
        ["sweep-worker", "--scenario", "happy-path", "--profile", "fixed", "--seeds", ""],
        ["merge"],
        ["replay"],
    ]

    @Test(arguments: badInvocations)
    func badArgumentIsAUsageError(_ arguments: [String]) throws {
        let exe = try #require(Self.findSimharness(), "build simharness first (swift build --product simharness)")
        let (reason, status) = try Self.run(exe, arguments)
        #expect(reason == .exit, "simharness \(arguments) was killed by signal \(status) (a trap)")
        #expect(status == Self.usageError, "simharness \(arguments) exited \(status), not 64")
    }

    /// The `simharness` executable built next to this test bundle.
    static func findSimharness() -> URL? {
        let fm = FileManager.default
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.deletingLastPathComponent()
        for _ in 0..<6 {
            let candidate = dir.appendingPathComponent("simharness")
            var isDir: ObjCBool = false
            if fm.fileExists(atPath: candidate.path, isDirectory: &isDir), !isDir.boolValue,
                fm.isExecutableFile(atPath: candidate.path)
            {
                return candidate
            }
            if dir.path == "/" { break }
            dir = dir.deletingLastPathComponent()
        }
        return nil
    }

    static func run(_ exe: URL, _ arguments: [String]) throws -> (Process.TerminationReason, Int32) {
        let p = Process()
        p.executableURL = exe
        p.arguments = arguments
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        return (p.terminationReason, p.terminationStatus)
    }
}
