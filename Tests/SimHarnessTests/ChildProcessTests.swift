import SimHarness
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `ChildProcess`, which starts `simharness sweep-worker`s: output and error arrive on their
/// own pipes, standard input is empty, and how the child ended (exit status or signal) is
/// reported, since the sweep turns a killed worker into a crashed run with that text.
@Suite("Child process")
struct ChildProcessTests {
    /// Everything a pipe gives until end of file.
    static func drain(_ fd: Int32) -> String {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(fd, &buffer, buffer.count)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            bytes += buffer[0..<n]
        }
        close(fd)
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test func outputErrorAndExitStatusAreTheChilds() throws {
        let child = try ChildProcess.spawn("/bin/sh", ["-c", "echo to-out; echo to-err >&2; exit 3"])
        let out = Self.drain(child.out), err = Self.drain(child.err)
        #expect(out == "to-out\n")
        #expect(err == "to-err\n")
        #expect(child.wait() == .status(3))
    }

    @Test func standardInputIsEmpty() throws {
        // `wc -c` counts what it reads: nothing, at once (a terminal or inherited pipe would block).
        let child = try ChildProcess.spawn("/bin/sh", ["-c", "wc -c | tr -d ' '"])
        #expect(Self.drain(child.out) == "0\n")
        _ = Self.drain(child.err)
        #expect(child.wait() == .status(0))
    }

    @Test func aKilledChildIsReportedByItsSignal() throws {
        let child = try ChildProcess.spawn("/bin/sh", ["-c", "kill -9 $$"])
        _ = Self.drain(child.out)
        _ = Self.drain(child.err)
        let exit = child.wait()
        #expect(exit == .signal(9))
        #expect(exit.description == "killed by signal 9")
    }

    @Test func aMissingExecutableIsAnErrorNotACrash() {
        #expect(throws: ChildProcess.Failure.self) {
            try ChildProcess.spawn("/nonexistent/simharness", ["sweep-worker"])
        }
    }
}
