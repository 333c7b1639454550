#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

#if FUZZING
/// libFuzzer's driver (`-sanitize=fuzzer` links it): SwiftPM gives every executable its own
/// `main`, so ours hands the command line to libFuzzer rather than linking libFuzzer's `main`.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// One input through the target chosen by `FUZZ_TARGET` (see `scripts/fuzz`).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    FuzzSelection.target.run(bytes)
    return 0
}

@main
enum FuzzMain {
    static func main() {
        _ = FuzzSelection.target  // an unknown FUZZ_TARGET exits 64 before fuzzing starts
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, { data, size in fuzzOne(data, size) }))
    }
}
#else
/// Without libFuzzer: `simharness-fuzz <target> <files...>` runs each file through the target
/// once (replaying a crash or the seed corpus in an ordinary build).
@main
enum ReplayInputs {
    static func main() {
        FuzzSelection.replay(Array(CommandLine.arguments.dropFirst()))
    }
}
#endif
