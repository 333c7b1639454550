#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

enum FuzzSelection {
    /// The target named by the `FUZZ_TARGET` environment variable (exits 64 if unknown).
    static let target: FuzzTarget = {
        let name = getenv("FUZZ_TARGET").map { String(cString: $0) } ?? ""
        guard let t = FuzzTarget(rawValue: name) else {
            eprint("FUZZ_TARGET must be one of \(FuzzTarget.allCases.map(\.rawValue)), got '\(name)'")
            exit(64)
        }
        return t
    }()

    static func replay(_ arguments: [String]) {
        guard let name = arguments.first, let target = FuzzTarget(rawValue: name), arguments.count >= 2 else {
            eprint("usage: simharness-fuzz <\(FuzzTarget.allCases.map(\.rawValue).joined(separator: "|"))> <input files...>")
            exit(64)
        }
        for path in arguments.dropFirst() {
            guard let file = fopen(path, "rb") else {
                eprint("cannot read \(path)")
                exit(64)
            }
            var bytes: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while true {
                let n = fread(&buffer, 1, buffer.count, file)
                if n <= 0 { break }
                bytes.append(contentsOf: buffer[..<n])
            }
            fclose(file)
            target.run(bytes)
        }
        print("\(arguments.count - 1) inputs through \(name): no crash")
    }
}

/// A line on standard error (file descriptor 2: no shared `FILE *` global).
func eprint(_ line: String) {
    var text = line + "\n"
    text.withUTF8 { buffer in _ = write(2, buffer.baseAddress, buffer.count) }
}
