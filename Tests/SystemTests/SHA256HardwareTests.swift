import Testing

@testable import JobSystem

/// The SHA-extensions SHA-256 (`CSHA256`) against the FIPS 180 examples and against libsodium
/// on many inputs: the two must be the same function, since the entry point (`SodiumSHA256`)
/// picks one per process and digests and traces must not depend on which.
@Suite struct SHA256HardwareTests {
    /// FIPS 180-2 / NIST CSRC examples (message, expected digest).
    static let nistVectors: [([UInt8], String)] = [
        ([], "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        (Array("abc".utf8), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (
            Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        ),
        (
            Array(("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
                + "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu").utf8),
            "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"
        ),
        (
            [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        ),
    ]


    /// The hardware digest, or, on a machine without the extensions, a check that it declines.
    func compare(_ message: [UInt8], expected: Digest32) {
        let hardware = SodiumSHA256.hardware(message)
        if SodiumSHA256.hardwareAvailable {
            #expect(hardware == expected, "length \(message.count)")
        } else {
            #expect(hardware == nil)
        }
        #expect(SodiumSHA256().sha256(message) == expected, "entry point, length \(message.count)")
    }

    @Test func nistVectorsOnBothPaths() throws {
        for (message, hex) in Self.nistVectors {
            let expected = try #require(Digest32(hex: hex))
            #expect(SodiumSHA256.portable(message) == expected, "libsodium, length \(message.count)")
            compare(message, expected: expected)
        }
    }

    /// Ten seeded random messages of every length 0...300: every tail length, both padding
    /// cases (tail <= 55: one final block; 56...63: two) and the block edges 55/56/63/64,
    /// 119/120/127/128 and beyond.
    @Test func randomMessagesOfEveryLengthMatchLibsodium() {
        var bytes = SystemTestRNG(state: 0x5348_412D_4E49)
        var compared = 0
        for length in 0...300 {
            for _ in 0..<10 {
                let message = bytes.bytes(count: length)
                compare(message, expected: SodiumSHA256.portable(message))
                compared += 1
            }
        }
        #expect(compared == 3_010)
    }

    /// Long messages (many blocks, each padding case at the end) and constant messages whose
    /// bytes sit at the byte-order edges (0x00, 0x80, 0xFF).
    @Test func longAndEdgeMessagesMatchLibsodium() {
        var bytes = SystemTestRNG(state: 42)
        for length in [511, 512, 1_000, 4_095, 4_096, 4_097, 65_536 + 55, 65_536 + 56, 1_048_576 + 63, 1_048_576 + 64] {
            let message = bytes.bytes(count: length)
            compare(message, expected: SodiumSHA256.portable(message))
        }
        for fill: UInt8 in [0x00, 0x80, 0xFF] {
            for length in [55, 56, 63, 64, 65, 128, 1_000] {
                let message = [UInt8](repeating: fill, count: length)
                compare(message, expected: SodiumSHA256.portable(message))
            }
        }
    }

    /// A slice's array (non-zero start in the parent storage is irrelevant to an Array, but a
    /// message that does not start on a 16-byte boundary inside a larger buffer is): the C code
    /// uses unaligned loads throughout.
    @Test func unalignedInputsMatchLibsodium() {
        var bytes = SystemTestRNG(state: 7)
        let backing = bytes.bytes(count: 400)
        for start in 0..<17 {
            let message = Array(backing[start..<(start + 200 + start)])
            compare(message, expected: SodiumSHA256.portable(message))
        }
    }

    @Test func choiceFollowsCPUAndEnvironment() {
        #expect(SodiumSHA256.choose(forced: nil, hardwareAvailable: true) == .hardware)
        #expect(SodiumSHA256.choose(forced: "portable", hardwareAvailable: true) == .portable)
        #expect(SodiumSHA256.choose(forced: "hardware", hardwareAvailable: false) == .portable)
        #expect(SodiumSHA256.choose(forced: nil, hardwareAvailable: false) == .portable)
        #expect(SodiumSHA256.choose(forced: "", hardwareAvailable: true) == .hardware)
        // The process's own choice is one of these, and hardware only where available.
        #expect(SodiumSHA256.implementation == .portable || SodiumSHA256.hardwareAvailable)
    }
}
