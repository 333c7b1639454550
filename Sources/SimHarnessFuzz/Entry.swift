#if FUZZING
/// libFuzzer's entry point (built with `-sanitize=fuzzer`, see `scripts/fuzz`): the target is
/// chosen once by `FUZZ_TARGET`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FuzzSelection.target.run(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
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
