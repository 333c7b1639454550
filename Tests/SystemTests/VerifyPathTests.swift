import Testing

@testable import JobSystem

/// The server's verification of a signed request (issue 11, part G): the signed message built
/// in one stack buffer with the digest's hex in SSE2, checked against plain references written
/// here (not the code under test).
@Suite struct VerifyPathTests {
    /// Lowercase hex, one nibble at a time.
    private static func referenceHex(_ bytes: [UInt8]) -> [UInt8] {
        let digits = Array("0123456789abcdef".utf8)
        return bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0x0F)]] }
    }

    /// The message as its definition spells it: decimal timestamp, NUL, the method with ASCII
    /// letters upper-cased, NUL, the path, NUL, the digest's lowercase hex.
    private static func referenceMessage(timestamp: Int64, method: String, path: String, digest: Digest32) -> [UInt8] {
        let upper = method.utf8.map { (0x61...0x7A).contains($0) ? $0 - 0x20 : $0 }
        return Array(String(timestamp).utf8) + [0] + upper + [0] + Array(path.utf8) + [0] + referenceHex(digest.bytes)
    }

    /// `writeHex` (SSE2 on x86-64) spells every byte value at every one of the 32 positions as
    /// the nibble-by-nibble reference does, and writes exactly 64 bytes (the guard bytes around
    /// them stay untouched).
    @Test func digestHexIsTheNibblesAtEveryPosition() {
        for position in 0..<32 {
            for value in 0..<256 {
                var bytes = [UInt8](repeating: UInt8((position &* 37) & 0xFF), count: 32)
                bytes[position] = UInt8(value)
                let digest = Digest32(bytes: bytes)!
                var out = [UInt8](repeating: 0xEE, count: 66)
                out.withUnsafeMutableBufferPointer { SodiumSHA256.writeHex(of: digest, into: $0.baseAddress! + 1) }
                #expect(out[0] == 0xEE && out[65] == 0xEE)
                #expect(Array(out[1..<65]) == Self.referenceHex(bytes), "byte \(value) at \(position)")
                #expect(Array(out[1..<65]) == Array(digest.hex.utf8))
            }
        }
    }

    /// `copyPath` (eight bytes at a time, the last word overlapping) writes exactly the path's
    /// bytes at every length from 0 to 40, whatever the target held, and nothing around them.
    @Test func pathCopyWritesExactlyThePath() {
        var rng = SystemTestRNG(state: 72)
        for length in 0...40 {
            let path = rng.bytes(count: length)
            var out = [UInt8](repeating: 0xEE, count: length + 16)
            path.withUnsafeBufferPointer { source in
                out.withUnsafeMutableBufferPointer { RequestSigning.copyPath(source, to: $0.baseAddress! + 8) }
            }
            #expect(Array(out[8..<(8 + length)]) == path, "length \(length)")
            #expect(out[..<8].allSatisfy { $0 == 0xEE } && out[(8 + length)...].allSatisfy { $0 == 0xEE }, "length \(length)")
        }
    }

    /// The message is its definition's bytes on both sides of the stack buffer's limit (method
    /// and path of up to 165 bytes together fit it; longer ones take the temporary
    /// allocation), for timestamps of every digit count and sign.
    @Test func messageIsItsTextAcrossTheBufferLimit() {
        var rng = SystemTestRNG(state: 71)
        var timestamps: [Int64] = [0, 9, 10, 99, 100, -1, -10, -100, .max, .min, 1_700_000_000]
        var power: Int64 = 1
        for _ in 0..<18 {
            power *= 10
            timestamps += [power - 1, power, -(power - 1), -power]
        }
        let methods = ["POST", "get", "", "DeLeTe", "ö"]
        for length in -1..<200 {
            let path = length < 0 ? "" : "/" + String((0..<length).map { _ in Character(Unicode.Scalar(UInt8(0x61 + rng.next() % 26))) })
            for method in methods {
                let ts = timestamps[Int(rng.next() % UInt64(timestamps.count))]
                let digest = Digest32(bytes: rng.bytes(count: 32))!
                let expected = Self.referenceMessage(timestamp: ts, method: method, path: path, digest: digest)
                #expect(RequestSigning.message(timestamp: ts, method: method, path: path, bodyDigest: digest) == expected,
                        "\(ts) \(method) \(path.utf8.count)")
            }
        }
    }
}
