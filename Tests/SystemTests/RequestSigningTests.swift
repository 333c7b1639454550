import Testing

@testable import JobSystem

@Suite struct RequestSigningTests {
    let sha = SodiumSHA256()
    let scheme = Ed25519()
    let seed = [UInt8](repeating: 0x42, count: 32)
    let now: Int64 = 1_700_000_000
    let body = Array(#"{"chunkId":"c1","result":{"ok":true}}"#.utf8)
    let path = "/functions/v1/chunk-complete"

    var verifier: RequestVerifier { RequestVerifier(scheme: scheme, hasher: sha, window: 300) }

    func headers(_ signed: SignedHeaders) -> APIHeaders {
        APIHeaders(signed.headers)
    }

    /// Builds the message exactly as today's TypeScript verifier does, by hand.
    func todaysMessage(ts: Int64, method: String, path: String, body: [UInt8]) -> [UInt8] {
        let bodyHex = sha.sha256(body).hex
        return Array("\(ts)\u{0}\(method)\u{0}\(path)\u{0}\(bodyHex)".utf8)
    }

    @Test func signatureFromTodaysSchemeVerifies() throws {
        let signer = scheme.makeSigner(seed: seed)
        let message = todaysMessage(ts: now - 12, method: "POST", path: path, body: body)
        #expect(message.filter { $0 == 0 }.count == 3)
        let signature = signer.sign(message)
        let incoming: APIHeaders = [
            "x-node-key": signer.publicKey.base64,
            "X-NODE-SIG": signature.base64,
            "X-Node-Ts": String(now - 12),
            "Content-Type": "application/json",
        ]
        let verified = try verifier.verify(headers: incoming, method: "POST", path: path, body: body, nowUnixSeconds: now)
        #expect(verified.publicKey == signer.publicKey)
        #expect(verified.signature == signature)
        #expect(verified.timestamp == now - 12)
        #expect(verified.replayExpiry == now - 12 + 300)
    }

    @Test func requestSignerProducesTodaysWireFormat() throws {
        let signer = scheme.makeSigner(seed: seed)
        let signed = RequestSigner(signer: signer, hasher: sha).sign(method: "post", path: path, body: body, unixSeconds: now)
        #expect(signed.headers.map(\.0) == ["X-Node-Key", "X-Node-Sig", "X-Node-Ts"])
        #expect(signed.headers[0].1 == signer.publicKey.base64)
        #expect(signed.headers[2].1 == "1700000000")
        let expected = todaysMessage(ts: now, method: "POST", path: path, body: body)
        #expect(scheme.verify(signed.signature, message: expected, publicKey: signer.publicKey))
        #expect(try SignedHeaders(headers: headers(signed)) == signed)
        _ = try verifier.verify(headers: headers(signed), method: "POST", path: path, body: body, nowUnixSeconds: now)
    }

    @Test func emptyBodyUsesDigestOfEmptyString() throws {
        let signer = scheme.makeSigner(seed: seed)
        let message = Array("\(now)\u{0}GET\u{0}/x\u{0}e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855".utf8)
        let incoming: APIHeaders = [
            "X-Node-Key": signer.publicKey.base64, "X-Node-Sig": signer.sign(message).base64, "X-Node-Ts": String(now),
        ]
        // The hand-built message (digest of the empty string) verifies, as the signer's key...
        let verified = try verifier.verify(headers: incoming, method: "GET", path: "/x", body: [], nowUnixSeconds: now)
        #expect(verified.publicKey == signer.publicKey)
        // ...and is exactly what our signer signs for an empty body (Ed25519 is deterministic).
        let ours = RequestSigner(signer: signer, hasher: sha).sign(method: "GET", path: "/x", body: [], unixSeconds: now)
        #expect(ours.signature == verified.signature)
        // A signature over any other digest (here: of a one-byte body) does not verify.
        let other = RequestSigner(signer: signer, hasher: sha).sign(method: "GET", path: "/x", body: [0x20], unixSeconds: now)
        #expect(throws: SignatureError.badSignature) {
            try verifier.verify(headers: headers(other), method: "GET", path: "/x", body: [], nowUnixSeconds: now)
        }
    }

    @Test func forgeriesAreRejected() throws {
        let signer = scheme.makeSigner(seed: seed)
        let signed = RequestSigner(signer: signer, hasher: sha).sign(method: "POST", path: path, body: body, unixSeconds: now)
        let good = headers(signed)

        func expectBad(
            _ incoming: APIHeaders, method: String = "POST", path: String? = nil, body: [UInt8]? = nil,
            sourceLocation: SourceLocation = #_sourceLocation
        ) {
            #expect(throws: SignatureError.badSignature, sourceLocation: sourceLocation) {
                try verifier.verify(
                    headers: incoming, method: method, path: path ?? self.path, body: body ?? self.body, nowUnixSeconds: now)
            }
        }

        // One bit flipped anywhere in the signature.
        for bit in [0, 7, 200, 511] {
            var bytes = signed.signature.bytes
            bytes[bit / 8] ^= UInt8(1) << UInt8(bit % 8)
            var tampered = good
            tampered["X-Node-Sig"] = Signature(bytes: bytes)!.base64
            expectBad(tampered)
        }
        // Another node's key with this signature.
        var otherKey = good
        otherKey["X-Node-Key"] = scheme.makeSigner(seed: [UInt8](repeating: 1, count: 32)).publicKey.base64
        expectBad(otherKey)
        // Same headers, different request.
        expectBad(good, body: body + [0x20])
        expectBad(good, path: path + "?x=1")
        expectBad(good, method: "PUT")
        // Timestamp changed within the window.
        var shifted = good
        shifted["X-Node-Ts"] = String(now + 1)
        expectBad(shifted)
    }

    @Test func timestampsOutsideTheWindowAreRejected() throws {
        let requestSigner = RequestSigner(signer: scheme.makeSigner(seed: seed), hasher: sha)
        for (offset, accepted) in [(-300, true), (300, true), (-301, false), (301, false), (-86_400, false), (86_400, false)] as [(Int64, Bool)] {
            let signed = requestSigner.sign(method: "POST", path: path, body: body, unixSeconds: now + offset)
            let attempt = { () throws(SignatureError) -> VerifiedRequest in
                try verifier.verify(headers: headers(signed), method: "POST", path: path, body: body, nowUnixSeconds: now)
            }
            if accepted {
                #expect(throws: Never.self) { try attempt() }
            } else {
                #expect(throws: SignatureError.outsideWindow(skewSeconds: offset)) { try attempt() }
            }
        }
        // A verifier with a different window (profile value).
        let strict = RequestVerifier(scheme: scheme, hasher: sha, window: 5)
        let signed = requestSigner.sign(method: "POST", path: path, body: body, unixSeconds: now - 6)
        #expect(throws: SignatureError.outsideWindow(skewSeconds: -6)) {
            try strict.verify(headers: headers(signed), method: "POST", path: path, body: body, nowUnixSeconds: now)
        }
    }

    @Test func malformedHeadersAreRejected() throws {
        let signer = scheme.makeSigner(seed: seed)
        let signed = RequestSigner(signer: signer, hasher: sha).sign(method: "POST", path: path, body: body, unixSeconds: now)
        let good = headers(signed)

        func expectError(_ error: SignatureError, _ change: (inout APIHeaders) -> Void, sourceLocation: SourceLocation = #_sourceLocation) {
            var incoming = good
            change(&incoming)
            #expect(throws: error, sourceLocation: sourceLocation) {
                try verifier.verify(headers: incoming, method: "POST", path: path, body: body, nowUnixSeconds: now)
            }
        }

        expectError(.unsigned) { $0 = ["Content-Type": "application/json"] }
        expectError(.missingHeader("X-Node-Key")) { $0["X-Node-Key"] = nil }
        expectError(.missingHeader("X-Node-Sig")) { $0["X-Node-Sig"] = nil }
        expectError(.missingHeader("X-Node-Ts")) { $0["X-Node-Ts"] = nil }
        expectError(.malformedKey) { $0["X-Node-Key"] = "not base64" }
        expectError(.malformedKey) { $0["X-Node-Key"] = Base64.encode([UInt8](repeating: 1, count: 31)) }
        expectError(.malformedKey) { $0["X-Node-Key"] = String(signer.publicKey.base64.dropLast()) }
        expectError(.malformedKey) { $0.append(name: "x-node-key", value: Base64.encode([UInt8](repeating: 9, count: 32))) }  // conflicting duplicate
        expectError(.malformedSignature) { $0["X-Node-Sig"] = Base64.encode([UInt8](repeating: 1, count: 63)) }
        expectError(.malformedSignature) { $0["X-Node-Sig"] = String(signed.signature.base64.dropLast(2)) + "-=" }
        for bad in ["", "abc", "-1700000000", "+1700000000", "01700000000", "1700000000.0", "1e9", "99999999999999999999", "0x10"] {
            expectError(.malformedTimestamp) { $0["X-Node-Ts"] = bad }
        }
        // Optional whitespace around values and duplicate spellings with equal values are fine.
        var relaxed = good
        relaxed["X-Node-Ts"] = " \(now)\t"
        relaxed.append(name: "x-node-ts", value: String(now))
        _ = try verifier.verify(headers: relaxed, method: "POST", path: path, body: body, nowUnixSeconds: now)
    }

    @Test func errorsDescribeThemselves() {
        let all: [SignatureError] = [
            .missingHeader("X-Node-Ts"), .malformedKey, .malformedSignature, .malformedTimestamp,
            .outsideWindow(skewSeconds: -400), .outsideWindow(skewSeconds: 400), .badSignature, .replayed, .unknownNode, .unsigned,
        ]
        let descriptions = all.map(\.description)
        #expect(Set(descriptions).count == all.count)
        #expect(descriptions[0] == "missing header X-Node-Ts")
        #expect(descriptions[4].contains("400 s in the past"))
        #expect(descriptions[5].contains("400 s in the future"))
    }

    @Test func worksWithTheStandInScheme() throws {
        let standIn = StandInSignatureScheme()
        let signer = standIn.makeSigner(seed: seed)
        let signed = RequestSigner(signer: signer, hasher: sha).sign(method: "GET", path: "/x", body: [], unixSeconds: now)
        let standInVerifier = RequestVerifier(scheme: standIn, hasher: sha)
        #expect(throws: Never.self) {
            try standInVerifier.verify(headers: headers(signed), method: "GET", path: "/x", body: [], nowUnixSeconds: now)
        }
        #expect(throws: SignatureError.badSignature) {
            try standInVerifier.verify(headers: headers(signed), method: "GET", path: "/y", body: [], nowUnixSeconds: now)
        }
    }
}
