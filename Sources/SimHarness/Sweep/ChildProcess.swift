#if canImport(Glibc)
import Glibc
#endif

/// A child process started with `posix_spawn`, its standard output and error on pipes that the
/// parent reads, its standard input `/dev/null`: what sweep workers need of Foundation's
/// `Process`, without linking Foundation (which adds about 7 MiB to every `simharness` run's
/// resident set; see `StandardStreams` in the command line).
///
/// The parent keeps only the read ends (`out`, `err`), close-on-exec so no later worker inherits
/// them; it closes the write ends before `spawn` returns, so the child's exit is the end of file.
public struct ChildProcess: Sendable {
    public let pid: Int32
    /// Read end of the child's standard output.
    public let out: Int32
    /// Read end of the child's standard error.
    public let err: Int32

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// How a child ended.
    public enum Exit: Equatable, Sendable, CustomStringConvertible {
        case status(Int32)
        case signal(Int32)

        public var description: String {
            switch self {
            case .status(let s): "exit status \(s)"
            case .signal(let s): "killed by signal \(s)"
            }
        }
    }

    /// Starts `executable` with `arguments` (argv[1...]); the environment is this process's.
    public static func spawn(_ executable: String, _ arguments: [String]) throws -> ChildProcess {
        #if canImport(Glibc)
        var outPipe: [Int32] = [-1, -1], errPipe: [Int32] = [-1, -1]
        // Close-on-exec set right after pipe(): this program spawns from one thread only, so no
        // other spawn can come between (pipe2 is not imported without _GNU_SOURCE).
        guard pipe(&outPipe) == 0 else { throw Failure(description: "pipe failed: errno \(errno)") }
        guard pipe(&errPipe) == 0 else {
            close(outPipe[0]); close(outPipe[1])
            throw Failure(description: "pipe failed: errno \(errno)")
        }
        for fd in outPipe + errPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        defer { close(outPipe[1]); close(errPipe[1]) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        // dup2 clears close-on-exec on the child's copies.
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        var pid: Int32 = 0
        let rc = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        guard rc == 0 else {
            close(outPipe[0]); close(errPipe[0])
            throw Failure(description: "cannot start \(executable): error \(rc)")
        }
        return ChildProcess(pid: pid, out: outPipe[0], err: errPipe[0])
        #else
        throw Failure(description: "sweep workers need posix_spawn")
        #endif
    }

    /// Waits for the child to end (retrying EINTR) and reaps it.
    public func wait() -> Exit {
        #if canImport(Glibc)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { return .status(-1) }
        }
        // WIFEXITED / WEXITSTATUS / WTERMSIG, which Swift does not import as macros.
        let signal = status & 0x7f
        return signal == 0 ? .status((status >> 8) & 0xff) : .signal(signal)
        #else
        return .status(-1)
        #endif
    }
}
