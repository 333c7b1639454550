import Testing

@testable import JobSystem

/// A node's signature headers held as text in its signer's buffer (`NodeSignedHeaderText`,
/// `APIHeaders(nodeSigned:)`, `RequestSigner.signedHeaders`): they read, compare, count and
/// parse exactly as the three string fields the node used to send, the buffer is rewritten only
/// while no earlier request holds it, and the server's parse of the buffer's bytes gives the
/// same answer, error or value, as its parse of the same text as strings.
@Suite struct NodeSignedHeadersTests {
    let sha = SodiumSHA256()

    /// RFC 4648 base64, bit by bit (an independent reference for the text the node writes).
    static func referenceBase64(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        var bits: [Bool] = []
        for byte in bytes { for shift in (0..<8).reversed() { bits.append(byte >> UInt8(shift) & 1 == 1) } }
        while bits.count % 6 != 0 { bits.append(false) }
        var out = ""
        for start in stride(from: 0, to: bits.count, by: 6) {
            var value = 0
            for bit in bits[start..<start + 6] { value = value << 1 | (bit ? 1 : 0) }
            out.append(alphabet[value])
        }
        while out.count % 4 != 0 { out.append("=") }
        return out
    }

    /// The three fields a node sends for `signed`, spelled by the references.
    static func referenceFields(_ signed: SignedHeaders, key: String) -> [(String, String)] {
        [("X-Node-Key", key), ("X-Node-Sig", referenceBase64(signed.signature.bytes)), ("X-Node-Ts", String(signed.timestamp))]
    }

    static func signer(_ scheme: any SignatureScheme, _ rng: inout SystemTestRNG) -> RequestSigner {
        RequestSigner(signer: scheme.makeSigner(seed: rng.bytes(count: 32)), hasher: SodiumSHA256())
    }

    /// Over seeded requests (timestamps negative, zero, extreme and ordinary; both schemes), the
    /// node's headers are the reference fields: the same count, order, names and values when
    /// iterated, found by any spelling of each name, the same `byteCount` as the list form,
    /// equal to it both ways, and parsed to the same `SignedHeaders`, which is what `sign` gave.
    @Test func nodeSignedHeadersReadAsTheirThreeFields() throws {
        var rng = SystemTestRNG(state: 1101)
        let extremes: [Int64] = [0, 1, -1, 9, 10, .max, .min, 1_700_000_000, 999_999_999_999_999_999]
        for scheme in [StandInSignatureScheme() as any SignatureScheme, Ed25519()] {
            var signer = Self.signer(scheme, &rng)
            for round in 0..<200 {
                let ts = round < extremes.count ? extremes[round] : Int64(bitPattern: rng.next()) >> Int64(rng.next() % 64)
                let body = rng.bytes(count: Int(rng.next() % 40))
                let path = ["/node-heartbeat", "/chunk-complete", "/x?y=z"][round % 3]
                let signed = signer.sign(method: "POST", path: path, body: body, unixSeconds: ts)
                let headers = signer.signedHeaders(method: "POST", path: path, body: body, unixSeconds: ts)
                // In the buffer when its decimal fits (15 characters), else as the list.
                #expect((headers.nodeSignedText != nil) == NodeSignedHeaderText.holds(timestamp: ts))
                #expect(NodeSignedHeaderText.holds(timestamp: ts) == (String(ts).utf8.count <= 15))
                let reference = Self.referenceFields(signed, key: Self.referenceBase64(signer.publicKey.bytes))
                let list = APIHeaders(reference)
                #expect(headers.count == 3 && headers.names == ["X-Node-Key", "X-Node-Sig", "X-Node-Ts"])
                #expect(headers.map(\.name) == reference.map(\.0) && headers.map(\.value) == reference.map(\.1))
                #expect(headers.fields.map(\.value) == reference.map(\.1))
                for (name, value) in reference {
                    #expect(headers[name] == value && headers[name.lowercased()] == value && headers[name.uppercased()] == value)
                    #expect(headers.contains(name: name.lowercased()))
                }
                #expect(headers["X-Node-Kex"] == nil && !headers.contains(name: "Retry-After") && headers["X-Node-T"] == nil)
                #expect(headers.byteCount == list.byteCount)
                #expect(headers.byteCount == reference.reduce(0) { $0 + $1.0.utf8.count + $1.1.utf8.count })
                #expect(headers == list && list == headers && headers == headers)
                if ts >= 0 {
                    #expect(try SignedHeaders(headers: headers) == signed)
                    #expect(try SignedHeaders(headers: list) == signed)
                } else {  // the verifier takes no sign: both forms are malformed alike
                    #expect(throws: SignatureError.malformedTimestamp) { try SignedHeaders(headers: headers) }
                    #expect(throws: SignatureError.malformedTimestamp) { try SignedHeaders(headers: list) }
                }
            }
        }
    }

    /// The signer's buffer is written again only when it holds the only reference: headers kept
    /// from an earlier request keep their values while later ones are made, and once they are
    /// dropped the next request reuses the buffer (one buffer for a node whose requests are
    /// answered before it signs the next).
    @Test func theBufferIsReusedOnlyWhenNoRequestHoldsIt() throws {
        var rng = SystemTestRNG(state: 1102)
        var signer = Self.signer(StandInSignatureScheme(), &rng)
        let key = signer.publicKeyBase64
        var kept: [(APIHeaders, [(String, String)])] = []
        var lastBuffer: ObjectIdentifier?
        for round in 0..<60 {
            let ts = Int64(1_700_000_000 + round)
            let signed = signer.sign(method: "POST", path: "/node-heartbeat", body: [], unixSeconds: ts)
            let headers = signer.signedHeaders(method: "POST", path: "/node-heartbeat", body: [], unixSeconds: ts)
            let buffer = ObjectIdentifier(headers.nodeSignedText!.buffer)
            if let lastBuffer {
                // Every third request is kept (as a request in flight would be): the next one
                // must take a new buffer; otherwise the same one comes back.
                #expect((buffer == lastBuffer) == (round % 3 != 1), "round \(round)")
            }
            lastBuffer = buffer
            if round % 3 == 0 { kept.append((headers, Self.referenceFields(signed, key: key))) }
            for (old, fields) in kept {
                #expect(old.map(\.value) == fields.map(\.1))
                #expect(try SignedHeaders(headers: old).timestamp == Int64(fields[2].1))
            }
        }
        #expect(kept.count == 20)
    }

    /// Changing node-signed headers turns them into the list form with the same rules as
    /// the list (replace in place, append, remove), and leaves the node's buffer alone.
    @Test func changingThemMakesAListAndLeavesTheBuffer() {
        var rng = SystemTestRNG(state: 1103)
        var signer = Self.signer(StandInSignatureScheme(), &rng)
        let original = signer.signedHeaders(method: "GET", path: "/x", body: [], unixSeconds: 42)
        let before = original.map(\.value)
        var list = APIHeaders(original.map { ($0.name, $0.value) })

        var changed = original
        changed["x-node-ts"] = "43"
        list["x-node-ts"] = "43"
        #expect(changed.nodeSignedText == nil && changed.names == ["X-Node-Key", "X-Node-Sig", "x-node-ts"])
        #expect(changed == list && changed.map(\.value) == list.map(\.value) && changed != original)
        changed.append(name: "Other", value: "o")
        changed["X-Node-Sig"] = nil
        #expect(changed.names == ["X-Node-Key", "x-node-ts", "Other"])
        var appended = original
        appended.append(name: "x-node-key", value: "dup")
        #expect(appended.count == 4 && appended["X-NODE-KEY"] == original["X-Node-Key"])
        #expect(original.nodeSignedText != nil && original.map(\.value) == before)
    }

    /// The server parses the buffer's bytes as it parses the same text as strings: with any
    /// one byte of the signature's or the timestamp's text, or of the key's spelling, replaced
    /// by seeded values (spaces and tabs, `=`, digits, letters, any byte), both forms give the
    /// same `SignedHeaders` or throw the same error.
    @Test func parsingTheBytesAnswersAsParsingTheStrings() {
        var rng = SystemTestRNG(state: 1104)
        var signer = Self.signer(StandInSignatureScheme(), &rng)
        let special: [UInt8] = [0x20, 0x09, 0x3D, 0x30, 0x39, 0x2D, 0x2B, 0x2F, 0x41, 0x61, 0x00, 0x80, 0xFF]
        func parse(_ headers: APIHeaders) -> Result<SignedHeaders, SignatureError> {
            do throws(SignatureError) { return .success(try SignedHeaders(headers: headers)) } catch { return .failure(error) }
        }
        var outcomes = Set<String>()
        for round in 0..<600 {
            let ts: Int64 = round % 5 == 0 ? -Int64(rng.next() % 1_000_000) : Int64(rng.next() % 10_000_000_000)
            let made = signer.signedHeaders(method: "POST", path: "/p", body: [], unixSeconds: ts)
            let signature = signer.sign(method: "POST", path: "/p", body: [], unixSeconds: ts).signature
            let part = round % 3  // 0: key, 1: signature, 2: timestamp
            let value = rng.next() % 2 == 0 ? special[Int(rng.next() % UInt64(special.count))] : UInt8(truncatingIfNeeded: rng.next())
            var text = made.nodeSignedText!
            if part == 0 {
                var key = Array(text.key.utf8)
                key[Int(rng.next() % UInt64(key.count))] = value
                text = NodeSignedHeaderText(key: String(decoding: key, as: UTF8.self))
                text.write(signature: signature, timestamp: ts)
            } else {
                // A buffer of its own (the signer's stays intact), then one byte changed in place.
                var copy = NodeSignedHeaderText(key: text.key)
                copy.write(signature: signature, timestamp: ts)
                let unique = copy.isUnique()
                #expect(unique)
                let offset = part == 1
                    ? Int(rng.next() % UInt64(NodeSignedHeaderText.signatureCount))
                    : NodeSignedHeaderText.signatureCount + Int(rng.next() % UInt64(copy.withTimestampText { $0.count }))
                copy.buffer.withUnsafeMutablePointerToElements { $0[offset] = value }
                text = copy
            }
            let bytes = APIHeaders(nodeSigned: text)
            let strings = APIHeaders(fields: [
                .init(name: "X-Node-Key", value: text.key), .init(name: "X-Node-Sig", value: text.signatureText),
                .init(name: "X-Node-Ts", value: text.timestampText),
            ])
            let a = parse(bytes), b = parse(strings)
            // A byte that is not UTF-8 becomes U+FFFD in the string: then the strings' text is
            // not the buffer's, and only the kind of error can be compared.
            let sameText = text.withSignatureText { Array($0) } == Array(text.signatureText.utf8)
                && text.withTimestampText { Array($0) } == Array(text.timestampText.utf8)
            if sameText {
                #expect(a == b, "round \(round)")
            } else {
                #expect(a.isFailure && b.isFailure, "round \(round)")
            }
            outcomes.insert(a.kind)
        }
        // The rounds reach every outcome: parsed (a harmless byte: the same value, or spaces
        // trimmed), and each of the three malformed values.
        #expect(outcomes == ["ok", "malformedKey", "malformedSignature", "malformedTimestamp"])
    }

    /// The timestamp's text is `String(value)` at every length, both signs: in the buffer up
    /// to 15 characters, in the list form the signer falls back to beyond.
    @Test func timestampTextIsItsDecimalAtEveryLength() {
        var values: [Int64] = [0, .max, .min, -1]
        var power: Int64 = 1
        for _ in 0..<18 {
            power *= 10
            values += [power - 1, power, power + 1, -(power - 1), -power]
        }
        var rng = SystemTestRNG(state: 1105)
        var signer = Self.signer(StandInSignatureScheme(), &rng)
        var text = NodeSignedHeaderText(key: "k")
        var inBuffer = 0, inList = 0
        for value in values {
            let headers = signer.signedHeaders(method: "GET", path: "/t", body: [], unixSeconds: value)
            #expect(headers["X-Node-Ts"] == String(value))
            if String(value).utf8.count <= 15 {
                let unique = text.isUnique()
                #expect(unique && headers.nodeSignedText != nil)
                text.write(signature: Signature(storage: Bytes64()), timestamp: value)
                #expect(text.timestampText == String(value))
                #expect(text.signatureText == Self.referenceBase64([UInt8](repeating: 0, count: 64)))
                inBuffer += 1
            } else {
                #expect(headers.nodeSignedText == nil && headers.count == 3)
                inList += 1
            }
        }
        // 0, -1, and 1-15-character values of both signs in the buffer; the rest in the list.
        #expect(inBuffer > 40 && inList > 20 && inBuffer + inList == values.count)
    }

    /// The key's bytes read in place without a retain (`withKeyText`, `withValueTexts`, and the
    /// out-of-line copy `copiedUTF8` for strings without contiguous UTF-8) are the key's UTF-8,
    /// for keys of every storage class: a node's 44 characters, small (inline) strings, empty,
    /// non-ASCII, and a substring's copy; the other two values read with them are the buffer's.
    @Test func keyBytesReadInPlaceAreTheKeysUTF8() {
        var rng = SystemTestRNG(state: 44)
        let long = Self.referenceBase64(rng.bytes(count: 32))
        let keys = [long, "", "k", "fifteen-chars-x", "sixteen-chars-xy", "clé-ünïcødé-キー", String(long.dropFirst(3))]
        for key in keys {
            let text = NodeSignedHeaderText(key: key)
            let expected = Array(key.utf8)
            #expect(text.withKeyText { Array($0) } == expected)
            #expect(copiedUTF8(of: key) { Array($0) } == expected)
            let (k, sig, ts) = text.withValueTexts { (Array($0), Array($1), Array($2)) }
            #expect(k == expected)
            #expect(sig == text.withSignatureText { Array($0) })
            #expect(ts == Array("0".utf8))
        }
    }
}

extension Result {
    fileprivate var isFailure: Bool {
        if case .failure = self { return true }
        return false
    }
}

extension Result where Success == SignedHeaders, Failure == SignatureError {
    /// "ok" or the error's case name.
    fileprivate var kind: String {
        switch self {
        case .success: return "ok"
        case .failure(let error):
            switch error {
            case .malformedKey: return "malformedKey"
            case .malformedSignature: return "malformedSignature"
            case .malformedTimestamp: return "malformedTimestamp"
            default: return "\(error)"
            }
        }
    }
}
