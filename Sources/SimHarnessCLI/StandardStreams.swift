#if canImport(Glibc)
import Glibc
#endif

/// Unbuffered writes to the standard streams and C-style number formatting, without Foundation.
///
/// `simharness` links only FoundationEssentials (which swift-argument-parser brings anyway):
/// the full Foundation (`FileHandle`, `Process`, `String(format:)`) adds about 7 MiB to the
/// resident set of every run, a tenth of the fleet benchmark's memory target. These few helpers
/// are all the command line needed from it.
enum StandardStreams {
    /// Writes all of `text` to standard error at once (write(2), no buffer), retrying short
    /// writes and EINTR; a closed stream is ignored, as `FileHandle` did.
    static func error(_ text: String) { write(2, text) }

    /// Writes all of `text` to standard output unbuffered: sweep workers report one line per
    /// run this way, so a worker that dies loses nothing it had reported.
    static func output(_ text: String) { write(1, text) }

    private static func write(_ fd: Int32, _ text: String) {
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBytes { raw in
            var offset = 0
            while offset < raw.count {
                #if canImport(Glibc)
                let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return
                }
                offset += n
                #else
                return
                #endif
            }
        }
    }
}

/// `printf`-style formatting through the C library's `vsnprintf`, so the benchmark lines keep
/// exactly the digits `String(format:)` printed.
func cFormat(_ format: String, _ arguments: CVarArg...) -> String {
    withVaList(arguments) { list in
        var buffer = [CChar](repeating: 0, count: 512)
        let needed = Int(vsnprintf(&buffer, buffer.count, format, list))
        guard needed >= buffer.count else { return text(buffer, needed) }
        return withVaList(arguments) { again in
            var bigger = [CChar](repeating: 0, count: needed + 1)
            _ = vsnprintf(&bigger, bigger.count, format, again)
            return text(bigger, needed)
        }
    }
}

/// The first `count` bytes of a C buffer as UTF-8 text.
private func text(_ buffer: [CChar], _ count: Int) -> String {
    String(decoding: buffer.prefix(max(0, count)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// Seconds on the monotonic clock, for wall times printed beside CPU times.
func monotonicSeconds() -> Double {
    #if canImport(Glibc)
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)  // nondeterminism-ok: wall clock for the benchmark only
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    #else
    return 0
    #endif
}
