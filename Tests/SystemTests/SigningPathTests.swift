import Testing

@testable import JobSystem

/// The signing path's fast forms (issue 11, part E): the request signer holding the stand-in's
/// secret inline, the base64 decoding of keys and signatures by positioned tables, the
/// stand-in registry's aligned table and its prefetch, and `SignedHeaders` as plain bytes.
/// Each is checked against the plain form it replaces or an independent reference.
@Suite struct SigningPathTests {
    let sha = SodiumSHA256()

    /// A seeded request: a method in some spelling, a path, a digest and a timestamp (negative
    /// and extreme ones included).
    private static func request(_ rng: inout SystemTestRNG) -> (method: String, path: String, digest: Digest32, ts: Int64) {
        let methods = ["POST", "GET", "post", "Get", "DELETE", "", "pAtCh"]
        let paths = ["/node-heartbeat", "/chunk-complete", "/config-fetch?hash=ab", "", "/x", "/ü/ä?q=ö",
                     "/" + String(repeating: "long-segment/", count: 12)]
        let method = methods[Int(rng.next() % UInt64(methods.count))]
        let path = paths[Int(rng.next() % UInt64(paths.count))]
        let digest = Digest32(storage: Bytes32(rng.bytes(count: 32))!)
        let extremes: [Int64] = [0, 1, -1, .max, .min, 1_700_000_000, 999_999_999]
        let ts = rng.next() % 3 == 0 ? extremes[Int(rng.next() % UInt64(extremes.count))]
            : Int64(bitPattern: rng.next()) >> Int64(rng.next() % 64)
        return (method, path, digest, ts)
    }

    /// A `RequestSigner` made from a stand-in signer (kept as its secret, inline) signs exactly
    /// what that signer signs over the message built as an array, for every kind of request;
    /// its `signer` is an equivalent signer; and the scheme verifies what it signs.
    @Test func standInRequestSignerSignsLikeItsSigner() {
        var rng = SystemTestRNG(state: 41)
        let scheme = StandInSignatureScheme()
        for n in 0..<40 {
            let signer = scheme.makeSigner(seed: rng.bytes(count: 32))
            let requestSigner = RequestSigner(signer: signer, hasher: sha)
            #expect(requestSigner.publicKey == signer.publicKey)
            #expect(requestSigner.publicKeyBase64 == signer.publicKey.base64)
            #expect(requestSigner.signer.publicKey == signer.publicKey)
            for _ in 0..<25 {
                let r = Self.request(&rng)
                let signed = requestSigner.sign(method: r.method, path: r.path, bodyDigest: r.digest, unixSeconds: r.ts)
                let message = RequestSigning.message(timestamp: r.ts, method: r.method, path: r.path, bodyDigest: r.digest)
                #expect(signed.key == signer.publicKey)
                #expect(signed.timestamp == r.ts)
                #expect(signed.signature == signer.sign(message), "signer \(n)")
                #expect(requestSigner.signer.sign(message) == signed.signature)
                #expect(scheme.verify(signed.signature, message: message, publicKey: signed.key))
            }
        }
    }

    /// Any other signer (Ed25519, production's) is still called through the protocol: the same
    /// signatures as signing the message directly, verified by Ed25519.
    @Test func ed25519RequestSignerSignsLikeItsSigner() {
        var rng = SystemTestRNG(state: 43)
        let scheme = Ed25519()
        for _ in 0..<5 {
            let signer = scheme.makeSigner(seed: rng.bytes(count: 32))
            let requestSigner = RequestSigner(signer: signer, hasher: sha)
            #expect(requestSigner.signer is Ed25519Signer)
            for _ in 0..<10 {
                let r = Self.request(&rng)
                let signed = requestSigner.sign(method: r.method, path: r.path, bodyDigest: r.digest, unixSeconds: r.ts)
                let message = RequestSigning.message(timestamp: r.ts, method: r.method, path: r.path, bodyDigest: r.digest)
                #expect(signed.signature == signer.sign(message))
                #expect(scheme.verify(signed.signature, message: message, publicKey: signer.publicKey))
            }
        }
    }

    /// The signed message's timestamp is its decimal text at every digit count, odd and even
    /// (the digits are written two at a time), negative ones and the extremes included; the
    /// rest of the message is its text too (checked against `String` interpolation).
    @Test func messageTimestampIsItsDecimalTextAtEveryLength() {
        var values: [Int64] = [0, 1, 9, 10, 11, 99, 100, 101, .max, .min, .max - 1, .min + 1]
        var power: Int64 = 1
        for _ in 0..<18 {
            power *= 10
            values += [power - 1, power, power + 1, -(power - 1), -power, -(power + 1)]
        }
        let digest = Digest32(storage: Bytes32(Array(0..<32))!)
        let hex = digest.bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
        for ts in values {
            let text = Array("\(ts)\u{0}POST\u{0}/node-heartbeat\u{0}\(hex)".utf8)
            #expect(RequestSigning.message(timestamp: ts, method: "post", path: "/node-heartbeat", bodyDigest: digest) == text, "\(ts)")
        }
    }

    /// A plain strict base64 decoder, six bits at a time (not the code under test): `nil`
    /// unless the text is canonical padded base64.
    private static func referenceDecode(_ text: [UInt8]) -> [UInt8]? {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        guard text.count % 4 == 0 else { return nil }
        let padding = text.reversed().prefix { $0 == UInt8(ascii: "=") }.count
        guard padding <= 2 else { return nil }
        var out: [UInt8] = []
        var accumulator = 0, bits = 0
        for byte in text.dropLast(padding) {
            guard let value = alphabet.firstIndex(of: byte) else { return nil }
            accumulator = accumulator << 6 | value
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: accumulator >> bits))
                accumulator &= (1 << bits) - 1
            }
        }
        return accumulator == 0 ? out : nil  // the unused low bits must be zero
    }

    /// Keys (44 characters) and signatures (88) decode exactly as the reference does (and only
    /// to 32 or 64 bytes) when any one position holds any byte value: every position × all 256
    /// bytes, over seeded bytes and all-zero and all-one ones.
    @Test func keyAndSignatureDecodingAgreesWithAReferenceAtEveryPosition() {
        var rng = SystemTestRNG(state: 47)
        for round in 0..<3 {
            let bytes = round == 0 ? rng.bytes(count: 64) : [UInt8](repeating: round == 1 ? 0 : 0xFF, count: 64)
            for length in [32, 64] {
                let spelled = Array(Base64.encode(Array(bytes[0..<length])).utf8)
                for position in spelled.indices {
                    var decoded: [[UInt8]?] = [], expected: [[UInt8]?] = []
                    for value in 0...255 {
                        var text = spelled
                        text[position] = UInt8(value)
                        let string = String(decoding: text, as: UTF8.self)
                        // A byte that is not UTF-8 becomes U+FFFD in the string (three bytes):
                        // then the string is not 44 or 88 bytes long, and nothing decodes.
                        let reference = string.utf8.elementsEqual(text) ? Self.referenceDecode(text) : nil
                        expected.append(reference?.count == length ? reference : nil)
                        decoded.append(length == 32 ? PublicKey(base64: string)?.bytes : Signature(base64: string)?.bytes)
                    }
                    #expect(decoded == expected, "length \(length), position \(position)")
                    #expect(expected.compactMap { $0 }.count >= 1)  // the unchanged byte decodes
                }
            }
        }
    }

    /// The registry answers as a dictionary while its table grows through many sizes, with
    /// prefetches of known, unknown and all-zero keys interleaved (a hint changes no answer),
    /// given as `prepareToVerify` gives them, from the table's place as published, and also
    /// from the place of a table since grown and freed (a stale place, as a thread could read
    /// while another registers: a useless hint, never a fault or a wrong answer).
    @Test func standInSecretsAnswerAsADictionaryWithPrefetches() {
        var rng = SystemTestRNG(state: 53)
        var table = StandInSecrets()
        var stale = table.lines
        var reference: [PublicKey: Bytes32] = [:]
        var known: [PublicKey] = []
        let zero = PublicKey(storage: Bytes32())
        for step in 0..<30_000 {
            let key: PublicKey
            switch rng.next() % 8 {
            case 0: key = zero
            case 1, 2, 3: key = known.randomElement(using: &rng) ?? zero
            default: key = PublicKey(storage: Bytes32(rng.bytes(count: 32))!)
            }
            let place = table.lines
            #expect(place.capacity > 0 && place.capacity.nonzeroBitCount == 1)
            StandInSecrets.prefetch(key, base: place.base, capacity: place.capacity)
            StandInSecrets.prefetch(key, base: stale.base, capacity: stale.capacity)
            if rng.next() % 2 == 0 {
                let secret = Bytes32(rng.bytes(count: 32))!
                table.set(secret, for: key)
                if table.lines != place { stale = place }
                if reference.updateValue(secret, forKey: key) == nil { known.append(key) }
            } else {
                let found = table.secret(for: key)
                #expect(found == reference[key], "step \(step)")
            }
        }
        let count = table.count
        #expect(count == reference.count)
        #expect(stale != table.lines)  // the table grew, so some hints were from a freed place
        for key in known {
            let found = table.secret(for: key)
            #expect(found == reference[key])
        }
    }

    /// The scheme's hint before verifying changes nothing: signatures under issued keys verify
    /// and others do not, whether or not it was given (for unknown keys too).
    @Test func prepareToVerifyChangesNoAnswer() {
        var rng = SystemTestRNG(state: 59)
        let scheme = StandInSignatureScheme()
        let signers = (0..<200).map { _ in scheme.makeSigner(seed: rng.bytes(count: 32)) }
        for (i, signer) in signers.enumerated() {
            let message = rng.bytes(count: Int(rng.next() % 120))
            let signature = signer.sign(message)
            let stranger = PublicKey(storage: Bytes32(rng.bytes(count: 32))!)
            if i.isMultiple(of: 2) {
                scheme.prepareToVerify(publicKey: signer.publicKey)
                scheme.prepareToVerify(publicKey: stranger)
            }
            #expect(scheme.verify(signature, message: message, publicKey: signer.publicKey))
            #expect(!scheme.verify(signature, message: message, publicKey: stranger))
            #expect(!scheme.verify(signature, message: message + [0], publicKey: signer.publicKey))
        }
        // Ed25519 takes the protocol's default (nothing) and still verifies.
        let ed = Ed25519()
        let signer = ed.makeSigner(seed: rng.bytes(count: 32))
        ed.prepareToVerify(publicKey: signer.publicKey)
        #expect(ed.verify(signer.sign([1, 2, 3]), message: [1, 2, 3], publicKey: signer.publicKey))
    }

    /// `SignedHeaders` is plain bytes (no reference to count on copy or destruction), and its
    /// headers spell the key as the key's own base64, as when the signer supplied it.
    @Test func signedHeadersArePlainBytes() throws {
        #expect(_isPOD(SignedHeaders.self))
        let scheme = StandInSignatureScheme()
        var rng = SystemTestRNG(state: 61)
        let signer = RequestSigner(signer: scheme.makeSigner(seed: rng.bytes(count: 32)), hasher: sha)
        let signed = signer.sign(method: "POST", path: "/node-heartbeat", body: Array("{}".utf8), unixSeconds: 1_700_000_000)
        let headers = signed.headers
        #expect(headers.map(\.0) == [RequestSigning.keyHeader, RequestSigning.signatureHeader, RequestSigning.timestampHeader])
        #expect(headers.map(\.1) == [signer.publicKeyBase64, signed.signature.base64, "1700000000"])
        #expect(try SignedHeaders(headers: APIHeaders(headers)) == signed)
    }
    /// The stand-in's signature is the mix as specified, its words built byte by byte (the
    /// form the tail's single load replaced): the same 64 bytes for messages of every length
    /// from 0 to 200 (every tail length, and the messages too short for a whole word).
    @Test func standInSignatureIsTheByteByByteMix() {
        func mix(_ x: UInt64) -> UInt64 {
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        func reference(secret: [UInt8], message: [UInt8]) -> [UInt8] {
            func word(_ bytes: ArraySlice<UInt8>) -> UInt64 {
                bytes.enumerated().reduce(0) { $0 | UInt64($1.element) << UInt64(8 * $1.offset) }
            }
            let k = (0..<4).map { word(secret[(8 * $0)..<(8 * $0 + 8)]) }
            var a = k[0] ^ 0x6A09_E667_F3BC_C908, b = k[1] ^ 0xBB67_AE85_84CA_A73B
            let whole = message.count / 8
            for w in 0..<whole {
                let m = word(message[(8 * w)..<(8 * w + 8)])
                a = mix(a ^ m ^ k[2])
                b = mix(((b &+ m) &+ a) ^ k[3])
            }
            let tail = message[(8 * whole)...]
            a = mix(a ^ word(tail) ^ k[2] ^ (UInt64(tail.count) << 56))
            b = mix(((b &+ UInt64(message.count)) &+ a) ^ k[3])
            var state = a ^ (b &* 0x9E37_79B9_7F4A_7C15)
            var out: [UInt8] = []
            for lane in 0..<8 {
                state &+= 0x9E37_79B9_7F4A_7C15
                let v = mix(state ^ (lane % 2 == 0 ? a : b))
                out += (0..<8).map { UInt8(truncatingIfNeeded: v >> UInt64(8 * $0)) }
            }
            return out
        }
        var rng = SystemTestRNG(state: 83)
        for length in 0...200 {
            let secret = rng.bytes(count: 32)
            let message = rng.bytes(count: length)
            let signature = message.withUnsafeBytes { StandInSigner.signature(secret: Bytes32(secret)!, message: $0) }
            #expect(signature.bytes == reference(secret: secret, message: message), "length \(length)")
        }
    }

    /// `X-Node-Ts` is read as canonical decimal `Int64` (digits only, no sign, no leading zero)
    /// at every length, the short ones without overflow checks and eight digits at a time: every
    /// value a plain reference (`Int64(text)` and the canonical rule, after trimming spaces and
    /// tabs at the ends) accepts, and nothing else, with a non-digit (the bytes either side of
    /// the digits and of "0"..."9"'s high nibble included, and a space) at every position, and the
    /// values around `Int64.max`.
    @Test func timestampIsCanonicalDecimalAtEveryLength() throws {
        let scheme = StandInSignatureScheme()
        var rng = SystemTestRNG(state: 89)
        let signer = RequestSigner(signer: scheme.makeSigner(seed: rng.bytes(count: 32)), hasher: sha)
        let signed = signer.sign(method: "POST", path: "/node-heartbeat", body: [], unixSeconds: 1)
        func parse(_ text: String) -> Int64? {
            let headers = APIHeaders([
                (RequestSigning.keyHeader, signer.publicKeyBase64), (RequestSigning.signatureHeader, signed.signature.base64),
                (RequestSigning.timestampHeader, text),
            ])
            return try? SignedHeaders(headers: headers).timestamp
        }
        func reference(_ text: String) -> Int64? {
            // Spaces and tabs around the value are HTTP's optional whitespace, not the value.
            var utf8 = Array(text.utf8)[...]
            while let last = utf8.last, last == 0x20 || last == 0x09 { utf8.removeLast() }
            while let first = utf8.first, first == 0x20 || first == 0x09 { utf8.removeFirst() }
            guard let first = utf8.first, utf8.allSatisfy({ (0x30...0x39).contains($0) }), utf8.count == 1 || first != 0x30 else { return nil }
            return Int64(String(decoding: utf8, as: UTF8.self))
        }
        var texts = ["0", "00", "01", "9223372036854775807", "9223372036854775808", "9999999999999999999",
                     "99999999999999999999", "999999999999999999", "1000000000000000000", "-1", "+1", ""]
        for length in 1...21 {
            let digits = String((0..<length).map { k in Character(String(k == 0 ? 1 + rng.next() % 9 : rng.next() % 10)) })
            texts.append(digits)
            for position in 0..<length {
                for bad in ["/", ":", ";", "?", " ", "a", "\u{0}", "\u{7F}", "é"] {
                    var chars = Array(digits)
                    chars[position] = Character(bad)
                    texts.append(String(chars))
                }
            }
        }
        var accepted = 0
        for text in texts {
            #expect(parse(text) == reference(text), "\(text.debugDescription)")
            if reference(text) != nil { accepted += 1 }
        }
        #expect(accepted > 20)
    }
}
