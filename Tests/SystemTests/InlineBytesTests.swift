import PropertyBased
import Testing

@testable import JobSystem

/// The inline storage of digests, keys and signatures (issue 11): same bytes, same order, same
/// spellings as the array form it replaced.
@Suite struct InlineBytesTests {
    /// Bytes drawn from a small alphabet, so that pairs share long prefixes and differ in a late
    /// lane, and the sign bit (0x7F / 0x80) is exercised.
    private static let edgeBytes: [UInt8] = [0x00, 0x01, 0x7F, 0x80, 0xFF]

    /// Two byte strings of `count` bytes sharing a prefix of length `shared`.
    private static func pair(_ picks: [Int], shared: Int, count: Int) -> ([UInt8], [UInt8]) {
        let bytes = picks.map { edgeBytes[$0] }
        let a = Array(bytes[0..<count])
        var b = Array(bytes[count..<2 * count])
        for i in 0..<min(shared, count) { b[i] = a[i] }
        return (a, b)
    }

    /// An independent spelling of lowercase hex (not the code under test).
    private static func referenceHex(_ bytes: [UInt8]) -> String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    @Test func orderOfInline32IsTheByteOrder() async {
        await propertyCheck(count: 400, input: Gen.int(in: 0...4).array(of: 64...64), Gen.int(in: 0...32)) { picks, shared in
            let (a, b) = Self.pair(picks, shared: shared, count: 32)
            let da = Digest32(bytes: a)!, db = Digest32(bytes: b)!
            let ka = PublicKey(bytes: a)!, kb = PublicKey(bytes: b)!
            #expect((da < db) == a.lexicographicallyPrecedes(b))
            #expect((db < da) == b.lexicographicallyPrecedes(a))
            #expect((ka < kb) == a.lexicographicallyPrecedes(b))
            #expect((da == db) == (a == b))
            #expect((ka == kb) == (a == b))
            // The order of `hex` is the byte order too (documented on `Digest32`).
            #expect((da.hex < db.hex) == a.lexicographicallyPrecedes(b))
            if a == b { #expect(da.hashValue == db.hashValue && ka.hashValue == kb.hashValue) }
        }
    }

    @Test func orderOfInline64IsTheByteOrder() async {
        await propertyCheck(count: 400, input: Gen.int(in: 0...4).array(of: 128...128), Gen.int(in: 0...64)) { picks, shared in
            let (a, b) = Self.pair(picks, shared: shared, count: 64)
            let sa = Bytes64(a)!, sb = Bytes64(b)!
            #expect((sa < sb) == a.lexicographicallyPrecedes(b))
            #expect((sa == sb) == (a == b))
            #expect((Signature(bytes: a)! == Signature(bytes: b)!) == (a == b))
        }
    }

    @Test func inlineValuesKeepTheirBytesAndSpellings() async {
        await propertyCheck(count: 200, input: Gen.uint8().array(of: 96...96)) { bytes in
            let a32 = Array(bytes[0..<32]), a64 = Array(bytes[32..<96])
            let digest = Digest32(bytes: a32)!
            let key = PublicKey(bytes: a32)!
            let signature = Signature(bytes: a64)!
            #expect(digest.bytes == a32 && key.bytes == a32 && signature.bytes == a64)
            #expect(digest.withUnsafeBytes { Array($0) } == a32)
            #expect(signature.withUnsafeBytes { Array($0) } == a64)
            #expect(digest.hex == Self.referenceHex(a32))
            #expect(Digest32(hex: digest.hex) == digest)
            #expect(Digest32(hex: digest.hex.uppercased()) == digest)
            // The inline encoders spell what the array encoder spells, and decode back.
            #expect(key.base64 == Base64.encode(a32))
            #expect(signature.base64 == Base64.encode(a64))
            #expect(PublicKey(base64: key.base64) == key)
            #expect(Signature(base64: signature.base64) == signature)
        }
    }

    /// The inline decoders accept exactly what the strict array decoder accepts at their length,
    /// including near misses (one character changed: a padding or a last symbol with low bits).
    @Test func inlineBase64DecodingAgreesWithTheStrictDecoder() async {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_ ".utf8)
        await propertyCheck(
            count: 300, input: Gen.uint8().array(of: 64...64), Gen.int(in: 0...87), Gen.int(in: 0...(alphabet.count - 1))
        ) { bytes, position, symbol in
            for length in [32, 64] {
                var text = Array(Base64.encode(Array(bytes[0..<length])).utf8)
                text[position % text.count] = alphabet[symbol]
                let spelled = String(decoding: text, as: UTF8.self)
                let strict = Base64.decode(spelled)
                if length == 32 {
                    #expect(PublicKey(base64: spelled)?.bytes == strict.flatMap { $0.count == 32 ? $0 : nil })
                } else {
                    #expect(Signature(base64: spelled)?.bytes == strict.flatMap { $0.count == 64 ? $0 : nil })
                }
            }
        }
        // Wrong lengths never decode, even when they are valid base64 of another length.
        #expect(PublicKey(base64: Base64.encode([UInt8](repeating: 7, count: 33))) == nil)
        #expect(Signature(base64: Base64.encode([UInt8](repeating: 7, count: 63))) == nil)
        #expect(Digest32(hex: String(repeating: "0", count: 66)) == nil)
        #expect(Digest32(hex: String(repeating: "g", count: 64)) == nil)
    }

    /// The padded last quantum of a key or a signature is the only place `=` may appear, and
    /// its unused low bits must be zero (one spelling per byte string).
    @Test func inlineBase64DecodingIsStrictAtTheEdges() {
        let key = Base64.encode([UInt8](repeating: 0, count: 32))  // "AAAA…AAA="
        #expect(PublicKey(base64: key)?.bytes == [UInt8](repeating: 0, count: 32))
        #expect(PublicKey(base64: String(key.dropLast(2)) + "B=") == nil)  // low bits set
        #expect(PublicKey(base64: String(key.dropLast(2)) + "E=") != nil)  // 4 = 0b000100: clear
        #expect(PublicKey(base64: "=" + String(key.dropFirst())) == nil)
        #expect(PublicKey(base64: String(key.dropLast(1)) + "A") == nil)  // 33 bytes
        let signature = Base64.encode([UInt8](repeating: 0xFF, count: 64))  // "////…/w=="
        #expect(Signature(base64: signature)?.bytes == [UInt8](repeating: 0xFF, count: 64))
        #expect(Signature(base64: String(signature.dropLast(3)) + "x==") == nil)  // low bits set
        #expect(Signature(base64: String(signature.dropLast(2)) + "A=") == nil)  // "x=y" form
        #expect(Signature(base64: String(signature.dropLast(4)) + "/w==".uppercased()) == nil)  // "W" has low bits
    }

    /// The libsodium paths write the inline values in place: same digests and signatures as
    /// the published vectors (SHA-256 of "abc"; RFC 8032 test 1).
    @Test func sodiumWritesInlineValues() throws {
        #expect(SodiumSHA256().sha256(Array("abc".utf8)).hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let signer = Ed25519Signer(seed: Hex.decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")!)
        #expect(Self.referenceHex(signer.publicKey.bytes) == "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
        let signature = signer.sign([])
        #expect(
            Self.referenceHex(signature.bytes)
                == "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
        )
        #expect(Ed25519().verify(signature, message: [], publicKey: signer.publicKey))
        #expect(!Ed25519().verify(signature, message: [0], publicKey: signer.publicKey))
    }
}
