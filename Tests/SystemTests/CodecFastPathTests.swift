import Testing

@testable import JobSystem

/// The fast paths of the request path (issue 11) against the general code they shortcut: each
/// must give exactly the same bytes or the same value, since digests and stored configs' hashes
/// depend on them.
@Suite struct CodecFastPathTests {
    /// A small deterministic generator (SplitMix64), so failures reproduce.
    struct Draws {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// The formatter as it was before it wrote into bytes (issue 11), kept as the reference.
    static func referenceFormat(_ value: Double) -> String {
        guard value.isFinite else { return "null" }
        if value == 0 { return "0" }
        if value < 0 { return "-" + referenceFormat(-value) }

        // Decompose `description` ("1.0", "0.001", "1e-07", "1.2345e+30") into digits and the
        // position of the decimal point relative to the first digit.
        let text = Array(value.description.utf8)
        var mantissa = text[...]
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }) {
            mantissa = text[..<e]
            var expText = text[(e + 1)...]
            var negative = false
            if let sign = expText.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
                negative = sign == UInt8(ascii: "-")
                expText = expText.dropFirst()
            }
            for digit in expText { exponent = exponent * 10 + Int(digit - UInt8(ascii: "0")) }
            if negative { exponent = -exponent }
        }
        var digits: [UInt8] = []
        var integerDigits = 0
        var seenPoint = false
        for byte in mantissa {
            if byte == UInt8(ascii: ".") {
                seenPoint = true
            } else {
                digits.append(byte)
                if !seenPoint { integerDigits += 1 }
            }
        }
        // n: the value is 0.d1d2d3… × 10^n.
        var n = integerDigits + exponent
        while let first = digits.first, first == UInt8(ascii: "0") {
            digits.removeFirst()
            n -= 1
        }
        while let last = digits.last, last == UInt8(ascii: "0") { digits.removeLast() }
        let k = digits.count

        var out: [UInt8] = []
        if k <= n && n <= 21 {
            out = digits + [UInt8](repeating: UInt8(ascii: "0"), count: n - k)
        } else if 0 < n && n <= 21 {
            out = Array(digits[..<n]) + [UInt8(ascii: ".")] + Array(digits[n...])
        } else if -6 < n && n <= 0 {
            out = Array("0.".utf8) + [UInt8](repeating: UInt8(ascii: "0"), count: -n) + digits
        } else {
            let e = n - 1
            out = [digits[0]]
            if k > 1 { out += [UInt8(ascii: ".")] + Array(digits[1...]) }
            out += Array("e\(e < 0 ? "-" : "+")\(abs(e))".utf8)
        }
        return String(decoding: out, as: UTF8.self)
    }

    @Test func integerNumbersAreWrittenAsTheGeneralFormatterWritesThem() {
        var draws = Draws(state: 1)
        var values: [Double] = [0, -0.0, 1, -1, 9, 10, 99, 100, 9_007_199_254_740_991, -9_007_199_254_740_991, 9_007_199_254_740_992, 1e15, 1e16, 1e21, 1e22, 0.5, -2.5]
        for _ in 0..<20_000 {
            let r = draws.next()
            switch r % 4 {
            case 0: values.append(Double(Int64(bitPattern: draws.next()) >> Int64(r >> 58)))  // integers of every size
            case 1: values.append(Double(Int64(bitPattern: draws.next()) % 1_000_000))
            case 2: values.append(Double(Int64(bitPattern: draws.next()) % 1_000_000) / 8)
            default:
                let d = Double(bitPattern: draws.next())
                if d.isFinite { values.append(d) }
            }
        }
        for value in values {
            var fast: [UInt8] = []
            JCSWriter.writeNumber(value, into: &fast)
            #expect(String(decoding: fast, as: UTF8.self) == Self.referenceFormat(value), "\(value)")
            #expect(JCSWriter.formatNumber(value) == Self.referenceFormat(value), "\(value)")
        }
    }

    @Test func keysSortByUTF16CodeUnitsWithoutBuildingThem() {
        let alphabet: [String] = ["a", "b", "z", "A", "_", "0", "é", "\u{FF61}", "\u{E000}", "😀", "\u{10000}", "ab", ""]
        var draws = Draws(state: 2)
        var keys: [String] = alphabet
        for _ in 0..<3_000 {
            var key = ""
            for _ in 0..<Int(draws.next() % 4) { key += alphabet[Int(draws.next() % UInt64(alphabet.count))] }
            keys.append(key)
        }
        for i in 0..<(keys.count - 1) {
            for j in [i + 1, Int(draws.next() % UInt64(keys.count))] {
                let (a, b) = (keys[i], keys[j])
                let expected = Array(a.utf16).lexicographicallyPrecedes(Array(b.utf16))
                #expect(JCSWriter.keyPrecedes(a, b) == expected, "\(a) < \(b)")
            }
        }
    }

    @Test func numbersParseToWhatStrtodGives() throws {
        var draws = Draws(state: 3)
        var texts = ["0", "-0", "1", "-1", "123456789012345", "-123456789012345", "1234567890123456", "12345678901234567890", "1.5", "1e3", "-0.0", "10"]
        for _ in 0..<20_000 {
            let digits = Int(draws.next() % 20) + 1
            var text = draws.next() % 2 == 0 ? "-" : ""
            for k in 0..<digits { text += String(k == 0 && digits > 1 ? draws.next() % 9 + 1 : draws.next() % 10) }
            texts.append(text)
        }
        for text in texts {
            let parsed = try JSONValue.parse(text)
            let expected = Double(text)!
            guard case .number(let value) = parsed else {
                Issue.record("\(text) did not parse as a number")
                continue
            }
            #expect(value.bitPattern == expected.bitPattern, "\(text)")
        }
    }

    @Test func stringsParseTheSameWithAndWithoutEscapes() throws {
        let cases: [(String, String)] = [
            (#""plain ascii""#, "plain ascii"), (#""""#, ""), (#""tab\tquote\"""#, "tab\tquote\""),
            (#""caf\u00e9""#, "café"), ("\"café\"", "café"), (#""a\\b""#, "a\\b"), ("\"😀 x\"", "😀 x"),
        ]
        for (text, expected) in cases {
            #expect(try JSONValue.parse(text) == .string(expected), "\(text)")
        }
        #expect(throws: JSONError.self) { try JSONValue.parse("\"ctrl\u{1}\"") }
        #expect(throws: JSONError.self) { try JSONValue.parse("\"unterminated") }
        #expect(throws: JSONError.self) { try JSONValue.parse(#"{"a":1,"a":2}"#) }
    }

    @Test func quotientFastPathAgreesWithLongDivision() {
        var draws = Draws(state: 4)
        for _ in 0..<20_000 {
            // Operands of every width up to 128 bits (the fast path's domain) and some beyond.
            func operand() -> ExactUInt256 {
                let width = Int(draws.next() % 180) + 1
                var v = ExactUInt256(high: UInt128(draws.next()) << 64 | UInt128(draws.next()), low: UInt128(draws.next()) << 64 | UInt128(draws.next()))
                if width < 256 { v = ExactUInt256(high: width > 128 ? v.high >> UInt128(256 - width) : 0, low: width >= 128 ? v.low : v.low >> UInt128(128 - width)) }
                return v.isZero ? ExactUInt256(1) : v
            }
            let n = operand(), d = operand()
            let (a, b, k) = ExactUInt256.scaled(n, d)
            #expect(ExactUInt256.roundedQuotient(n, d) == ExactUInt256.bitwiseQuotient(a, b, k))
        }
    }

    // MARK: The hot bodies, written and read without a tree

    func chunkID(_ draws: inout Draws) -> ChunkID {
        ChunkID(Identifier(high: draws.next(), low: draws.next()))
    }

    func result(_ draws: inout Draws) -> ChunkResult {
        let n = Int(draws.next() % 1_000) + 1
        let base = draws.next() % 1_000_000_000_000
        let damages = (0..<n).map { _ in base + draws.next() % (base / 3 + 1) }
        return ChunkResult(tally: DamageTally(fightLengthSeconds: Int(draws.next() % 600) + 1, iterationDamages: damages))
    }

    /// The node writes its heartbeat from its running assignments' ids read in place
    /// (`RunningChunkIDs`): the body must be the tree's, with the ids in start order, whatever
    /// the assignments' other fields hold.
    @Test func heartbeatBodyFromRunningAssignmentsIsTheTreesCanonicalBytes() {
        var draws = Draws(state: 11)
        let hashes = ["ab", "0f", "c3"].map { ConfigHash(hex: String(repeating: $0, count: 32))! }
        for _ in 0..<200 {
            let ids = (0..<Int(draws.next() % 8)).map { _ in chunkID(&draws) }
            let running = ids.map {
                ChunkAssignment(
                    chunkID: $0, jobID: JobID(Identifier(high: draws.next(), low: draws.next())),
                    nodeID: NodeID(Identifier(high: draws.next(), low: draws.next())),
                    attempt: Int(draws.next() % 5) + 1, configHash: hashes[Int(draws.next() % 3)],
                    iterations: 1_000, seedOffset: Int64(draws.next() % 100_000),
                    claimedAt: Timestamp(micros: Int64(draws.next() % 1_000_000_000)))
            }
            let view = running.withUnsafeBufferPointer { Array(RunningChunkIDs(assignments: $0)) }
            #expect(view == ids)
            let body = running.withUnsafeBufferPointer {
                NodeRequestBody.heartbeat(computing: RunningChunkIDs(assignments: $0), publicKey: nil)
            }
            var fields: [String: JSONValue] = [:]
            if !ids.isEmpty { fields["computing"] = .array(ids.map { .string($0.uuidString) }) }
            #expect(body == JSONValue.object(fields).canonicalBytes)
        }
    }

    @Test func heartbeatBodiesAreTheTreesCanonicalBytes() {
        var draws = Draws(state: 5)
        let key = PublicKey(bytes: [UInt8](repeating: 7, count: 32))!
        for round in 0..<200 {
            let ids = (0..<Int(draws.next() % 6)).map { _ in chunkID(&draws) }
            let publicKey = round % 3 == 0 ? key : nil
            var fields: [String: JSONValue] = [:]
            if !ids.isEmpty { fields["computing"] = .array(ids.map { .string($0.uuidString) }) }
            if let publicKey { fields["publicKey"] = .string(publicKey.base64) }
            let body = NodeRequestBody.heartbeat(computing: ids, publicKey: publicKey)
            #expect(body == JSONValue.object(fields).canonicalBytes)
            // The reader takes signed nodes' bodies; an unsigned node's goes the general way.
            #expect(NodeRequestBody.readHeartbeatComputing(body, limit: 256) == (publicKey == nil ? ids : nil))
        }
        // Anything but the canonical layout is left to the general path.
        for text in [#"{ }"#, #"{"computing":[]}"#, #"{"computing":["x"]}"#, #"{"computing":null}"#, #"{}x"#, #"{"other":1}"#] {
            #expect(NodeRequestBody.readHeartbeatComputing(Array(text.utf8), limit: 256) == nil, "\(text)")
        }
    }

    @Test func completionBodiesAreTheTreesCanonicalBytesAndReadBackTheSame() throws {
        var draws = Draws(state: 6)
        let key = PublicKey(bytes: [UInt8](repeating: 9, count: 32))!
        for round in 0..<300 {
            let id = chunkID(&draws)
            let r = result(&draws)
            let attempt: Int? = round % 4 == 0 ? nil : Int(draws.next() % 50)
            let publicKey = round % 5 == 0 ? key : nil
            var fields: [String: JSONValue] = ["chunkId": .string(id.uuidString), "result": r.json]
            if let attempt { fields["attempt"] = .number(Double(attempt)) }
            if let publicKey { fields["publicKey"] = .string(publicKey.base64) }
            let body = NodeRequestBody.chunkComplete(chunkID: id, attempt: attempt, result: r, publicKey: publicKey)
            #expect(body == JSONValue.object(fields).canonicalBytes)
            let general = try RequestHandlers.chunkCompleteBody(body)
            #expect(general.chunkID == id && general.attempt == attempt && general.result == r)
            if let fast = NodeRequestBody.readChunkComplete(body) {
                #expect(publicKey == nil)
                #expect(fast.chunkID == general.chunkID && fast.attempt == general.attempt && fast.result == general.result)
            } else {
                #expect(publicKey != nil, "a signed node's canonical completion must take the fast path")
            }
            // Not canonical (a space, a different order): the general path, with the same result.
            var spaced = body
            spaced.insert(UInt8(ascii: " "), at: 1)
            #expect(NodeRequestBody.readChunkComplete(spaced) == nil)
            #expect(try RequestHandlers.chunkCompleteBody(spaced).result == r)
        }
    }

    @Test func answersAreTheTreesCanonicalBytes() {
        let node = NodeRow(
            id: NodeID(Identifier(high: 1, low: 2)), publicKey: PublicKey(bytes: [UInt8](repeating: 1, count: 32))!, userID: nil,
            name: "n\"1", status: .online, totalCores: 4, maxParallel: 3, platform: "linux", version: "1", claimCode: "c",
            lastSeenAt: nil, createdAt: Timestamp(micros: 0))
        for renewed in [0, 1, 4] {
            let tree: JSONValue = [
                "id": .string(node.id.uuidString), "name": .string(node.name), "maxParallel": .number(Double(node.maxParallel)),
                "status": .string(node.status.rawValue), "renewed": .number(Double(renewed)),
            ]
            #expect(RequestHandlers.heartbeatAnswer(node, renewed: renewed).body == tree.canonicalBytes)
        }
        for (done, duplicate) in [(false, false), (true, false), (false, true), (true, true)] {
            let tree: JSONValue = ["success": true, "jobComplete": .bool(done), "duplicate": .bool(duplicate)]
            #expect(RequestHandlers.completionAnswer(jobComplete: done, duplicate: duplicate).body == tree.canonicalBytes)
        }
    }
}
