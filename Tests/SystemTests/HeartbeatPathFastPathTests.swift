import Testing

@testable import JobSystem

/// The heartbeat path's byte-level code (issue 11, part D) against plain references written
/// here from the specifications, over seeded inputs: the canonical writer against the tree's
/// `canonicalBytes`, hex spelling against a nibble table, the signature headers' parser against
/// a reading built from `String` operations and the general base64 decoder, the signed message
/// against its text, and the method's upper-casing against a per-byte map.
@Suite struct HeartbeatPathFastPathTests {
    // MARK: Hex

    /// Lowercase hex by a nibble table, one character at a time.
    static func referenceHex(_ bytes: [UInt8]) -> [UInt8] {
        let digits = Array("0123456789abcdef".utf8)
        return bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0x0F)]] }
    }

    @Test func hexIsTheNibbleTablesSpelling() {
        var rng = SystemTestRNG(state: 11)
        for length in 0..<70 {
            for _ in 0..<20 {
                let bytes = rng.bytes(count: length)
                let expected = Self.referenceHex(bytes)
                #expect(Array(Hex.encode(bytes).utf8) == expected)
                var out = [UInt8](repeating: 0xEE, count: 2 * length + 3)
                let written = out.withUnsafeMutableBufferPointer { Hex.write(bytes, into: $0) }
                #expect(written == 2 * length)
                #expect(Array(out[..<written]) == expected)
                #expect(out[written...].allSatisfy { $0 == 0xEE }, "nothing written past the digits")
            }
        }
        // Every nibble value in every lane, and the extremes.
        for word: UInt32 in [0, 0x0123_4567, 0x89AB_CDEF, 0xFEDC_BA98, .max, 0x0F0F_0F0F, 0xF0F0_F0F0] {
            let spelled = withUnsafeBytes(of: Hex.spell(word).littleEndian) { Array($0) }
            let bytes = withUnsafeBytes(of: word.bigEndian) { Array($0) }
            #expect(spelled == Self.referenceHex(bytes), "\(word)")
        }
    }

    // MARK: The canonical writer

    /// One generated value: what the writer is asked to write, and the tree it stands for.
    enum Written {
        case string(String), int(Int), number(Double), bool(Bool), identifier(Identifier), decimal(UInt128)
        case array([Written])
        case object([(key: StaticString, value: Written)])

        var tree: JSONValue {
            switch self {
            case .string(let s): return .string(s)
            case .int(let n): return .number(Double(n))
            case .number(let d): return .number(d)
            case .bool(let b): return .bool(b)
            case .identifier(let id): return .string(id.uuidString)
            case .decimal(let d): return .string(String(d))
            case .array(let items): return .array(items.map(\.tree))
            case .object(let members):
                var fields: [String: JSONValue] = [:]
                for m in members { fields[m.key.description] = m.value.tree }
                return .object(fields)
            }
        }

        func write(into w: inout CanonicalJSONWriter) {
            switch self {
            case .string(let s): w.string(s)
            case .int(let n): w.int(n)
            case .number(let d): w.number(d)
            case .bool(let b): w.bool(b)
            case .identifier(let id): w.identifier(id)
            case .decimal(let d): w.decimalString(d)
            case .array(let items):
                w.beginArray()
                for item in items { item.write(into: &w) }
                w.endArray()
            case .object(let members):
                w.beginObject()
                for m in members {
                    w.key(m.key)
                    m.value.write(into: &w)
                }
                w.endObject()
            }
        }
    }

    /// Keys in canonical (byte) order, as the writer's callers give them.
    static let keys: [StaticString] = ["a", "attempt", "b", "computing", "id", "maxParallel", "name", "renewed", "status", "z"]

    static func string(_ rng: inout SystemTestRNG) -> String {
        let pieces = ["node-1", "", "é", "\"", "\\", "\n", "\u{01}", "\u{1F}", " ", "日本", "\u{7F}", "x", "/", "\t", "🙂"]
        return (0..<Int(rng.next() % 6)).map { _ in pieces[Int(rng.next() % UInt64(pieces.count))] }.joined()
    }

    static func value(_ rng: inout SystemTestRNG, depth: Int) -> Written {
        switch rng.next() % (depth > 2 ? 6 : 8) {
        case 0: return .string(string(&rng))
        case 1:
            let magnitudes: [Int] = [0, 1, 9, 10, 99, 12_345, 999_999_999_999_999, 1_000_000_000_000_000, Int.max]
            let n = magnitudes[Int(rng.next() % UInt64(magnitudes.count))] - Int(rng.next() % 2)
            return .int(rng.next() % 2 == 0 ? n : -n)
        case 2: return .number([0.5, -1.25, 1e21, 1e-7, 3, 123_456.789, -0.0][Int(rng.next() % 7)])
        case 3: return .bool(rng.next() % 2 == 0)
        case 4: return .identifier(Identifier(high: rng.next(), low: rng.next()))
        case 5: return .decimal(UInt128(rng.next()) << (rng.next() % 64) | UInt128(rng.next() % 1000))
        case 6: return .array((0..<Int(rng.next() % 4)).map { _ in value(&rng, depth: depth + 1) })
        default:
            let chosen = keys.filter { _ in rng.next() % 3 == 0 }
            return .object(chosen.map { (key: $0, value: value(&rng, depth: depth + 1)) })
        }
    }

    @Test func writerWritesTheTreesCanonicalBytes() {
        var rng = SystemTestRNG(state: 12)
        for round in 0..<2_000 {
            let written: Written = round % 2 == 0 ? Self.value(&rng, depth: 0) : .object(
                Self.keys.filter { _ in rng.next() % 2 == 0 }.map { (key: $0, value: Self.value(&rng, depth: 1)) })
            // Small and large starting room: growing must not change a byte.
            for capacity in [0, 16, 128, 4_096] {
                var w = CanonicalJSONWriter(capacity: capacity)
                written.write(into: &w)
                #expect(w.bytes == written.tree.canonicalBytes, "round \(round), capacity \(capacity)")
            }
        }
    }

    @Test func writerBytesCanBeReadAndWrittenOn() {
        var w = CanonicalJSONWriter(capacity: 16)
        w.beginArray()
        w.int(1)
        #expect(w.bytes == Array("[1".utf8))
        w.string("two")
        w.endArray()
        #expect(w.bytes == Array(#"[1,"two"]"#.utf8))
    }

    @Test func heartbeatAnswerIsTheTreesCanonicalBytes() {
        var rng = SystemTestRNG(state: 13)
        for _ in 0..<500 {
            let id = NodeID(Identifier(high: rng.next(), low: rng.next()))
            let name = Self.string(&rng)
            let maxParallel = Int(rng.next() % 200)
            let renewed = Int(rng.next() % 300)
            let status = [NodeStatus.online, .offline, .pending][Int(rng.next() % 3)]
            let tree: JSONValue = [
                "id": .string(id.uuidString), "maxParallel": .number(Double(maxParallel)), "name": .string(name),
                "renewed": .number(Double(renewed)), "status": .string(status.rawValue),
            ]
            let bytes = RequestHandlers.heartbeatAnswerBytes(
                id: id, maxParallel: maxParallel, name: name, renewed: renewed, status: status)
            #expect(bytes == tree.canonicalBytes)
        }
    }

    /// The direct answer (`directHeartbeatAnswer`) over names with and without bytes to escape
    /// and integers at the edges of its range (±(10^15 - 1) in, ±10^15 and beyond out, where
    /// the writer answers): whenever it answers, the tree's canonical bytes; it declines
    /// exactly the names with an escape and the integers out of range; and the answer is the
    /// tree's bytes either way.
    @Test func directHeartbeatAnswerIsTheTreesCanonicalBytes() {
        var rng = SystemTestRNG(state: 29)
        let magnitudes: [Int] = [0, 1, 9, 10, 99, 100, 12_345, 999_999_999_999_999, 1_000_000_000_000_000, Int.max]
        func integer() -> Int {
            let n = magnitudes[Int(rng.next() % UInt64(magnitudes.count))] - Int(rng.next() % 2)
            return rng.next() % 2 == 0 ? n : -n
        }
        var direct = 0, declined = 0
        for _ in 0..<3_000 {
            let id = NodeID(Identifier(high: rng.next(), low: rng.next()))
            let name = Self.string(&rng)
            let maxParallel = integer(), renewed = integer()
            let status = NodeStatus.allCases[Int(rng.next() % UInt64(NodeStatus.allCases.count))]
            let tree: JSONValue = [
                "id": .string(id.uuidString), "maxParallel": .number(Double(maxParallel)), "name": .string(name),
                "renewed": .number(Double(renewed)), "status": .string(status.rawValue),
            ]
            let inRange = [maxParallel, renewed].allSatisfy { $0.magnitude < 1_000_000_000_000_000 }
            let plainName = !name.utf8.contains { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }
            let answer = RequestHandlers.directHeartbeatAnswer(
                id: id, maxParallel: maxParallel, name: name, renewed: renewed, status: status)
            #expect((answer != nil) == (inRange && plainName))
            if let answer {
                direct += 1
                #expect(answer == tree.canonicalBytes)
            } else {
                declined += 1
            }
            #expect(RequestHandlers.heartbeatAnswerBytes(
                id: id, maxParallel: maxParallel, name: name, renewed: renewed, status: status) == tree.canonicalBytes)
        }
        #expect(direct > 500 && declined > 500)  // both paths were exercised
    }

    // MARK: The signature headers

    /// The headers' reading built from `String` operations and the general decoders: names
    /// case-insensitive, values trimmed of spaces and tabs, repeats with different values
    /// refused, strict base64 of 32 and 64 bytes, canonical decimal.
    static func referenceParse(_ headers: [(String, String)]) -> Result<SignedHeaders, SignatureError> {
        func trim(_ s: String) -> String {
            var chars = Substring(s)
            while let c = chars.first, c == " " || c == "\t" { chars.removeFirst() }
            while let c = chars.last, c == " " || c == "\t" { chars.removeLast() }
            return String(chars)
        }
        func value(_ name: String, _ conflict: SignatureError) -> Result<String?, SignatureError> {
            let values = headers.filter { $0.0.lowercased() == name.lowercased() }.map { trim($0.1) }
            guard let first = values.first else { return .success(nil) }
            return values.allSatisfy { $0 == first } ? .success(first) : .failure(conflict)
        }
        let key: String?, signature: String?, timestamp: String?
        do {
            key = try value(RequestSigning.keyHeader, .malformedKey).get()
            signature = try value(RequestSigning.signatureHeader, .malformedSignature).get()
            timestamp = try value(RequestSigning.timestampHeader, .malformedTimestamp).get()
        } catch {
            return .failure(error)
        }
        if key == nil && signature == nil && timestamp == nil { return .failure(.unsigned) }
        guard let key else { return .failure(.missingHeader(RequestSigning.keyHeader)) }
        guard let signature else { return .failure(.missingHeader(RequestSigning.signatureHeader)) }
        guard let timestamp else { return .failure(.missingHeader(RequestSigning.timestampHeader)) }
        guard let keyBytes = Base64.decode(key), let publicKey = PublicKey(bytes: keyBytes) else { return .failure(.malformedKey) }
        guard let sigBytes = Base64.decode(signature), let sig = Signature(bytes: sigBytes) else { return .failure(.malformedSignature) }
        guard let ts = Int64(timestamp), ts >= 0, String(ts) == timestamp else { return .failure(.malformedTimestamp) }
        return .success(SignedHeaders(key: publicKey, signature: sig, timestamp: ts))
    }

    /// A value spoilt one of the ways a client or an attacker might spoil it.
    static func spoil(_ text: String, _ rng: inout SystemTestRNG) -> String {
        var bytes = Array(text.utf8)
        switch rng.next() % 10 {
        case 0: return " " + text
        case 1: return text + "\t "
        case 2: return " \t" + text + " "
        case 3 where !bytes.isEmpty: bytes.removeLast()
        case 4 where !bytes.isEmpty: bytes[Int(rng.next() % UInt64(bytes.count))] = Array("=-_ .*0A\u{0}".utf8)[Int(rng.next() % 9)]
        case 5: bytes.append(UInt8(ascii: "A"))
        case 6 where !bytes.isEmpty: bytes.insert(UInt8(ascii: " "), at: Int(rng.next() % UInt64(bytes.count)))
        case 7: return "0" + text
        case 8: return "   "
        default: return text
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test func signatureHeadersParseAsTheReferenceReadsThem() {
        var rng = SystemTestRNG(state: 14)
        let names = [
            RequestSigning.keyHeader, RequestSigning.signatureHeader, RequestSigning.timestampHeader, "x-node-key", "X-NODE-SIG",
            "x-node-ts", "Content-Type",
        ]
        for round in 0..<5_000 {
            let key = PublicKey(bytes: rng.bytes(count: 32))!
            let signature = Signature(bytes: rng.bytes(count: 64))!
            let ts = Int64(rng.next() % 3_000_000_000)
            let good = [key.base64, signature.base64, String(ts)]
            var fields: [(String, String)]
            if round % 3 == 0 {
                // The three a node sends, in any order, one value perhaps spoilt.
                fields = (0..<3).map { (names[$0], good[$0]) }
                let spoilt = Int(rng.next() % 4)
                if spoilt < 3 { fields[spoilt].1 = Self.spoil(fields[spoilt].1, &rng) }
                fields.shuffle(using: &rng)
            } else {
                // Any mix of spellings, repeats, omissions and other headers.
                fields = (0..<Int(rng.next() % 6)).map { _ in
                    let n = Int(rng.next() % UInt64(names.count))
                    let v = n < 6 ? good[n % 3] : "application/json"
                    return (names[n], rng.next() % 3 == 0 ? Self.spoil(v, &rng) : v)
                }
            }
            let expected = Self.referenceParse(fields)
            let actual: Result<SignedHeaders, SignatureError>
            do { actual = .success(try SignedHeaders(headers: APIHeaders(fields))) } catch { actual = .failure(error) }
            #expect(actual == expected, "\(fields)")
        }
    }

    // MARK: The signed message and the method

    @Test func messageIsItsText() {
        var rng = SystemTestRNG(state: 15)
        let methods = ["POST", "GET", "post", "PoSt", "", "DELETE", "pöst", "ſ"]
        let paths = ["/node-heartbeat", "", "/functions/v1/chunk-complete", "/jobs/" + String(repeating: "x", count: 300), "/é"]
        for _ in 0..<1_000 {
            let ts = Int64(bitPattern: rng.next()) >> Int64(rng.next() % 64)
            let method = methods[Int(rng.next() % UInt64(methods.count))]
            let path = paths[Int(rng.next() % UInt64(paths.count))]
            let digest = Digest32(bytes: rng.bytes(count: 32))!
            let upper = String(decoding: method.utf8.map { (0x61...0x7A).contains($0) ? $0 - 0x20 : $0 }, as: UTF8.self)
            let text = Array("\(ts)\u{0}\(upper)\u{0}\(path)\u{0}".utf8) + Self.referenceHex(digest.bytes)
            #expect(RequestSigning.message(timestamp: ts, method: method, path: path, bodyDigest: digest) == text)
        }
    }

    @Test func methodsUpperCaseASCIIOnly() {
        var rng = SystemTestRNG(state: 16)
        let pieces = ["P", "o", "s", "T", "g", "E", "t", "ſ", "é", "-", "z", "a", "Z", "{", "`", "@", "["]
        var methods = ["POST", "GET", "post", "get", "Post", "", "poſt"]
        for _ in 0..<500 { methods.append((0..<Int(rng.next() % 6)).map { _ in pieces[Int(rng.next() % UInt64(pieces.count))] }.joined()) }
        for method in methods {
            let expected = String(decoding: method.utf8.map { $0 >= 0x61 && $0 <= 0x7A ? $0 - 0x20 : $0 }, as: UTF8.self)
            #expect(RequestHandlers.uppercasedASCII(method) == expected, "\(method)")
        }
    }

    // MARK: Base64 and the stand-in's registry

    /// Standard padded base64 by the alphabet table, six bits at a time.
    static func referenceBase64(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        var bits = bytes.flatMap { byte in (0..<8).map { (byte >> (7 - $0)) & 1 } }
        while bits.count % 6 != 0 { bits.append(0) }
        var text: [Character] = []
        for i in stride(from: 0, to: bits.count, by: 6) {
            text.append(alphabet[Int(bits[i..<i + 6].reduce(UInt8(0)) { $0 << 1 | $1 })])
        }
        text += Array(repeating: Character("="), count: (4 - text.count % 4) % 4)
        return String(text)
    }

    @Test func base64IsTheAlphabetTablesSpelling() {
        var rng = SystemTestRNG(state: 17)
        for length in 0..<100 {
            for _ in 0..<10 {
                let bytes = rng.bytes(count: length)
                let text = Base64.encode(bytes)
                #expect(text == Self.referenceBase64(bytes))
                #expect(Base64.decode(text) == bytes)
            }
        }
        // Every 6-bit value in every position of a group.
        for v in 0..<64 {
            for shift in [0, 6, 12, 18] {
                let group = UInt32(v) << UInt32(shift)
                let bytes = [UInt8(group >> 16 & 0xFF), UInt8(group >> 8 & 0xFF), UInt8(group & 0xFF)]
                #expect(Base64.encode(bytes) == Self.referenceBase64(bytes))
            }
        }
    }

    @Test func standInSecretsAnswerAsADictionary() {
        var rng = SystemTestRNG(state: 18)
        var table = StandInSecrets()
        var reference: [PublicKey: Bytes32] = [:]
        var known: [PublicKey] = []
        for step in 0..<20_000 {
            switch rng.next() % 4 {
            case 0, 1:
                // A new key (half of them sharing their first eight bytes with a known one,
                // which probing must tell apart), or a known key given a new secret.
                var key = PublicKey(bytes: rng.bytes(count: 32))!
                if let other = known.randomElement(using: &rng), rng.next() % 2 == 0 {
                    key = PublicKey(bytes: Array(other.bytes[..<8]) + rng.bytes(count: 24))!
                }
                if rng.next() % 4 == 0, let other = known.randomElement(using: &rng) { key = other }
                let secret = Bytes32(rng.bytes(count: 32))!
                table.set(secret, for: key)
                if reference.updateValue(secret, forKey: key) == nil { known.append(key) }
            default:
                let key = rng.next() % 2 == 0 ? (known.randomElement(using: &rng) ?? PublicKey(bytes: rng.bytes(count: 32))!)
                    : PublicKey(bytes: rng.bytes(count: 32))!
                #expect(table.secret(for: key) == reference[key], "step \(step)")
            }
            #expect(table.count == reference.count)
        }
        for key in known { #expect(table.secret(for: key) == reference[key]) }
    }

    /// The all-zero key marks an empty slot inside the table, so it is kept aside: it is
    /// absent until set, then found like any other key, and counted once.
    @Test func standInSecretsKeepTheAllZeroKey() {
        var table = StandInSecrets()
        let zero = PublicKey(bytes: [UInt8](repeating: 0, count: 32))!
        let other = PublicKey(bytes: [1] + [UInt8](repeating: 0, count: 31))!
        #expect(table.secret(for: zero) == nil)
        table.set(Bytes32([UInt8](repeating: 7, count: 32))!, for: other)
        #expect(table.secret(for: zero) == nil)
        table.set(Bytes32([UInt8](repeating: 9, count: 32))!, for: zero)
        table.set(Bytes32([UInt8](repeating: 8, count: 32))!, for: zero)
        #expect(table.secret(for: zero) == Bytes32([UInt8](repeating: 8, count: 32))!)
        #expect(table.secret(for: other) == Bytes32([UInt8](repeating: 7, count: 32))!)
        #expect(table.count == 2)
    }

    @Test func timestampHeaderIsTheDecimalString() {
        var rng = SystemTestRNG(state: 19)
        var values: [Int64] = [0, 9, 10, 1_700_000_000, 999_999_999_999_999, 1_000_000_000_000_000, .max, -1, .min]
        for _ in 0..<5_000 { values.append(Int64(bitPattern: rng.next()) >> Int64(rng.next() % 64)) }
        // The node's signer writes it into its header buffer (`NodeSignedHeaderText`), or for
        // a timestamp of more than 15 characters spells it in the list form.
        var signer = RequestSigner(signer: StandInSignatureScheme().makeSigner(seed: rng.bytes(count: 32)), hasher: SodiumSHA256())
        for value in values {
            #expect(signer.signedHeaders(method: "POST", path: "/node-heartbeat", body: [], unixSeconds: value)["X-Node-Ts"] == String(value))
        }
    }
}
