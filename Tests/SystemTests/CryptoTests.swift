import PropertyBased
import Testing

@testable import JobSystem

private func hex(_ text: String) -> [UInt8] { Hex.decode(text)! }

@Suite struct CryptoTests {
    let sha = SodiumSHA256()

    // MARK: SHA-256

    @Test func sha256KnownVectors() {
        #expect(sha.sha256([]).hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(sha.sha256(Array("abc".utf8)).hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let long = Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
        #expect(sha.sha256(long).hex == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    /// `{}` is answered from a constant (the idle heartbeat's body): it must be the digest both
    /// implementations compute, and bodies that only look like it must still be hashed.
    @Test func emptyObjectDigestIsTheComputedOne() {
        let body = Array("{}".utf8)
        #expect(sha.sha256(body).hex == "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a")
        #expect(SodiumSHA256.portable(body) == SodiumSHA256.emptyObjectDigest)
        if let hardware = SodiumSHA256.hardware(body) { #expect(hardware == SodiumSHA256.emptyObjectDigest) }
        for other in ["{ }", "{}\n", "}{", "{{", "[]", "{", "{}}"] {
            let bytes = Array(other.utf8)
            #expect(sha.sha256(bytes) == SodiumSHA256.portable(bytes), "\(other)")
            #expect(sha.sha256(bytes) != SodiumSHA256.emptyObjectDigest, "\(other)")
        }
    }

    @Test func digestParsingAndOrder() throws {
        let digest = sha.sha256(Array("abc".utf8))
        #expect(digest.bytes.count == 32)
        #expect(Digest32(hex: digest.hex) == digest)
        #expect(Digest32(hex: digest.hex.uppercased()) == digest)
        #expect(Digest32(hex: String(digest.hex.dropLast(2))) == nil)
        #expect(Digest32(bytes: [UInt8](repeating: 0, count: 31)) == nil)
        let low = try #require(Digest32(bytes: [0] + [UInt8](repeating: 0xFF, count: 31)))
        let high = try #require(Digest32(bytes: [1] + [UInt8](repeating: 0, count: 31)))
        #expect(low < high)
    }

    // MARK: Ed25519 (RFC 8032 §7.1 test vectors)

    @Test func ed25519RFC8032Vectors() throws {
        let scheme = Ed25519()
        let vectors: [(seed: String, publicKey: String, message: String, signature: String)] = [
            (
                "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
                "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
                "",
                "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
            ),
            (
                "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
                "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
                "72",
                "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"
            ),
        ]
        for vector in vectors {
            let signer = scheme.makeSigner(seed: hex(vector.seed))
            #expect(signer.publicKey.bytes == hex(vector.publicKey))
            let signature = signer.sign(hex(vector.message))
            #expect(signature.bytes == hex(vector.signature))
            #expect(scheme.verify(signature, message: hex(vector.message), publicKey: signer.publicKey))
        }
    }

    @Test func ed25519RejectsTampering() throws {
        let scheme = Ed25519()
        let signer = scheme.makeSigner(seed: [UInt8](repeating: 7, count: 32))
        let other = scheme.makeSigner(seed: [UInt8](repeating: 8, count: 32))
        let message = Array("hello".utf8)
        let signature = signer.sign(message)
        #expect(scheme.verify(signature, message: message, publicKey: signer.publicKey))
        #expect(!scheme.verify(signature, message: Array("hellp".utf8), publicKey: signer.publicKey))
        #expect(!scheme.verify(signature, message: message, publicKey: other.publicKey))
        for bit in [0, 100, 255, 256, 511] {
            var bytes = signature.bytes
            bytes[bit / 8] ^= 1 << UInt8(bit % 8)
            let flipped = try #require(Signature(bytes: bytes))
            #expect(!scheme.verify(flipped, message: message, publicKey: signer.publicKey))
        }
    }

    // MARK: Stand-in scheme

    @Test func standInSignsAndVerifies() throws {
        let scheme = StandInSignatureScheme()
        let seed = [UInt8](repeating: 3, count: 32)
        let signer = scheme.makeSigner(seed: seed)
        let message = Array("payload".utf8)
        let signature = signer.sign(message)
        #expect(signature.bytes.count == 64)
        #expect(signer.publicKey == PublicKey(bytes: sha.sha256(Array("pk".utf8) + seed).bytes))
        #expect(scheme.verify(signature, message: message, publicKey: signer.publicKey))
        // Deterministic across instances.
        let again = StandInSignatureScheme().makeSigner(seed: seed)
        #expect(again.publicKey == signer.publicKey)
        #expect(again.sign(message) == signature)
        // Tampering fails.
        #expect(!scheme.verify(signature, message: Array("payloae".utf8), publicKey: signer.publicKey))
        var bytes = signature.bytes
        bytes[63] ^= 0x80
        #expect(!scheme.verify(try #require(Signature(bytes: bytes)), message: message, publicKey: signer.publicKey))
        let other = scheme.makeSigner(seed: [UInt8](repeating: 4, count: 32))
        #expect(!scheme.verify(signature, message: message, publicKey: other.publicKey))
        // A key the instance never issued does not verify, even with a correct signature.
        #expect(!StandInSignatureScheme().verify(signature, message: message, publicKey: signer.publicKey))
    }

    // MARK: Encodings

    @Test func base64RFC4648Vectors() {
        let vectors = [
            ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy"),
        ]
        for (plain, encoded) in vectors {
            #expect(Base64.encode(Array(plain.utf8)) == encoded)
            #expect(Base64.decode(encoded) == Array(plain.utf8))
        }
        #expect(Base64.encode([0xFB, 0xFF]) == "+/8=")
    }

    @Test(arguments: [
        "Zg", "Zg=", "Zm8", "Zh==", "Zm9=", "Z===", "====", "=Zg=", "Zg==Zg==", "Zm9v\n", " Zm9v",
        "Zm-v", "Zm_v", "Zm9v====", "Zm=v", "Zg=\u{0}",
    ])
    func base64RejectsNonCanonical(_ text: String) {
        #expect(Base64.decode(text) == nil)
    }

    @Test func base64RoundTrips() async {
        await propertyCheck(count: 300, input: Gen.uint8().array(of: 0...70)) { bytes in
            let encoded = Base64.encode(bytes)
            #expect(encoded.utf8.count % 4 == 0)
            #expect(Base64.decode(encoded) == bytes)
        }
    }

    @Test func hexRoundTripsAndRejects() async {
        await propertyCheck(count: 200, input: Gen.uint8().array(of: 0...40)) { bytes in
            let encoded = Hex.encode(bytes)
            #expect(encoded == encoded.lowercased())
            #expect(Hex.decode(encoded) == bytes)
            #expect(Hex.decode(encoded.uppercased()) == bytes)
        }
        #expect(Hex.decode("abc") == nil)
        #expect(Hex.decode("zz") == nil)
        #expect(Hex.decode("0x00") == nil)
    }

    @Test func keyAndSignatureLengthsAreEnforced() {
        let key32 = Base64.encode([UInt8](repeating: 1, count: 32))
        let key31 = Base64.encode([UInt8](repeating: 1, count: 31))
        #expect(PublicKey(base64: key32)?.base64 == key32)
        #expect(PublicKey(base64: key31) == nil)
        #expect(PublicKey(base64: "not base64!") == nil)
        let sig64 = Base64.encode([UInt8](repeating: 2, count: 64))
        #expect(Signature(base64: sig64)?.base64 == sig64)
        #expect(Signature(base64: key32) == nil)
        #expect(PublicKey(bytes: [0] + [UInt8](repeating: 0, count: 31))! < PublicKey(bytes: [UInt8](repeating: 1, count: 32))!)
    }
}
