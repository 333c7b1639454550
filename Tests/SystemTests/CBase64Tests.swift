import Testing

@testable import JobSystem

/// `Base64`'s decoding of keys (32 bytes, 44 characters) and signatures (64 bytes, 88
/// characters) and its writing of signatures go through `CBase64` (SSSE3) when the CPU has it.
/// These tests hold the vector path to the definition: the strict decoder accepts a text exactly
/// when it is the canonical padded base64 of bytes of that length (an independent bit-by-bit
/// reference, `NodeSignedHeadersTests.referenceBase64`, spells them back to the same text), and
/// then gives those bytes; and to `Base64`'s own loops, answer for answer. Every byte value is
/// tried at every position of seeded valid texts (the vector path classifies each character in
/// its own lane, so one wrong lane shows there), then seeded texts with several bytes replaced.
@Suite struct CBase64Tests {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// The definition: the bytes whose canonical padded base64 is `text`, if `count` bytes have
    /// it; nil otherwise. Decoded permissively, six bits per alphabet character, then accepted
    /// only if the reference encoder spells them back to `text`.
    static func referenceDecode(_ text: [UInt8], count: Int) -> [UInt8]? {
        guard text.count == (count + 2) / 3 * 4 else { return nil }
        var bits: [Bool] = []
        for character in text where character != UInt8(ascii: "=") {
            guard let value = alphabet.firstIndex(of: character) else { return nil }
            for shift in (0..<6).reversed() { bits.append(value >> shift & 1 == 1) }
        }
        guard bits.count >= count * 8 else { return nil }
        var bytes: [UInt8] = []
        for start in stride(from: 0, to: count * 8, by: 8) {
            var byte: UInt8 = 0
            for bit in bits[start..<start + 8] { byte = byte << 1 | (bit ? 1 : 0) }
            bytes.append(byte)
        }
        guard Array(NodeSignedHeadersTests.referenceBase64(bytes).utf8) == text else { return nil }
        return bytes
    }

    /// The decoder under test (the vector path where the CPU has it) and `Base64`'s loop.
    static func decoded(_ text: [UInt8], count: Int) -> (vector: [UInt8]?, loop: [UInt8]?) {
        text.withUnsafeBufferPointer { utf8 in
            if count == 32 {
                let loop: Bytes32? = Base64.decodeWithoutVector(utf8)
                return (Base64.decode32(utf8: utf8)?.array, loop?.array)
            }
            let loop: Bytes64? = Base64.decodeWithoutVector(utf8)
            return (Base64.decode64(utf8: utf8)?.array, loop?.array)
        }
    }

    @Test func theVectorPathRunsOnThisMachine() {
        #if arch(x86_64)
        // Every x86-64 CPU of the last fifteen years has SSSE3; without it the other tests
        // here would compare `Base64`'s loop with itself.
        #expect(Base64.hasVectorPath)
        #else
        #expect(!Base64.hasVectorPath)
        #endif
    }

    /// Every byte value at every position of seeded valid texts (and of the all-zero and
    /// all-0xFF values): the vector path, the loop and the reference agree on acceptance and
    /// bytes; both outcomes occur at every position.
    @Test(arguments: [32, 64]) func everyByteAtEveryPosition(count: Int) {
        var rng = SystemTestRNG(state: UInt64(count))
        var values = [[UInt8](repeating: 0, count: count), [UInt8](repeating: 0xFF, count: count)]
        for _ in 0..<4 { values.append(rng.bytes(count: count)) }
        var mismatches = 0
        for value in values {
            let text = Array(NodeSignedHeadersTests.referenceBase64(value).utf8)
            let (vector, loop) = Self.decoded(text, count: count)
            #expect(vector == value && loop == value)
            for position in text.indices {
                var accepted = 0, refused = 0
                for byte in 0...255 {
                    var changed = text
                    changed[position] = UInt8(byte)
                    let reference = Self.referenceDecode(changed, count: count)
                    let (vector, loop) = Self.decoded(changed, count: count)
                    if vector != reference || loop != reference { mismatches += 1 }
                    if reference == nil { refused += 1 } else { accepted += 1 }
                }
                #expect(accepted > 0 && refused > 0)
            }
        }
        #expect(mismatches == 0)
    }

    /// Seeded texts with one to six bytes replaced, drawn mostly from the alphabet, '=',
    /// whitespace and bytes of 0x80 and above; and texts of the wrong length.
    @Test(arguments: [32, 64]) func severalBytesReplaced(count: Int) {
        var rng = SystemTestRNG(state: 0xB64 &+ UInt64(count))
        let interesting = Self.alphabet + Array("= \t\r\n-_.:".utf8) + [0, 0x7F, 0x80, 0xBD, 0xC0, 0xFF]
        var mismatches = 0, accepted = 0
        for round in 0..<3_000 {
            var text = Array(NodeSignedHeadersTests.referenceBase64(rng.bytes(count: count)).utf8)
            for _ in 0...(Int(rng.next() % 6)) {
                let position = Int(rng.next() % UInt64(text.count))
                text[position] =
                    rng.next() % 4 == 0 ? UInt8(truncatingIfNeeded: rng.next()) : interesting[Int(rng.next() % UInt64(interesting.count))]
            }
            if round % 100 == 0 { text.removeLast() }
            if round % 100 == 1 { text.append(UInt8(ascii: "=")) }
            let reference = Self.referenceDecode(text, count: count)
            let (vector, loop) = Self.decoded(text, count: count)
            if vector != reference || loop != reference { mismatches += 1 }
            if reference != nil { accepted += 1 }
        }
        #expect(mismatches == 0)
        #expect(accepted > 100)
    }

    /// The signature's text: `Base64.write` of 64 bytes (the vector path where the CPU has it),
    /// the loop and the reference spell the same 88 characters and write nothing past them.
    @Test func signaturesAreWrittenAsTheReferenceSpellsThem() {
        var rng = SystemTestRNG(state: 64)
        var values = [[UInt8](repeating: 0, count: 64), [UInt8](repeating: 0xFF, count: 64)]
        values += (0..<256).map { byte in (0..<64).map { UInt8(truncatingIfNeeded: byte &+ $0 &* 37) } }
        for _ in 0..<500 { values.append(rng.bytes(count: 64)) }
        for value in values {
            let reference = Array(NodeSignedHeadersTests.referenceBase64(value).utf8)
            var vector = [UInt8](repeating: 0xAA, count: 96), loop = [UInt8](repeating: 0xAA, count: 96)
            let written = value.withUnsafeBytes { input in vector.withUnsafeMutableBytes { Base64.write(raw: input, to: $0.baseAddress!) } }
            let looped = value.withUnsafeBytes { input in
                loop.withUnsafeMutableBytes { Base64.writeWithoutVector(raw: input, to: $0.baseAddress!) }
            }
            #expect(written == 88 && looped == 88)
            #expect(Array(vector[0..<88]) == reference && Array(loop[0..<88]) == reference)
            #expect(vector[88...].allSatisfy { $0 == 0xAA })
        }
    }
}
