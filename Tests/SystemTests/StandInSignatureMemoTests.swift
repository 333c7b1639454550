import Testing

@testable import JobSystem

/// The stand-in scheme's memo of signatures made (`StandInSignatureMemo`) changes no verdict:
/// every verification answers what computing the signature answers
/// (`StandInSigner.signature(secret:message:) == claimed`, the plain path, called here
/// directly), for honest requests whose signature is remembered and for every kind of forgery
/// of them, and the memo itself says "yes" only for the exact triple it was given.
@Suite struct StandInSignatureMemoTests {
    /// The plain verdict: the registry's secret (known here from the seed, as `makeSigner`
    /// derives it) and the signature computed.
    static func plainVerdict(_ signature: Signature, secret: Bytes32, message: [UInt8]) -> Bool {
        message.withUnsafeBytes { StandInSigner.signature(secret: secret, message: $0) } == signature
    }

    @Test func verifyingASignedMessageAnswersWhatTheComputationAnswers() {
        let scheme = StandInSignatureScheme()
        var rng = SystemTestRNG(state: 131)
        let signers = (0..<4).map { _ in scheme.makeSigner(seed: rng.bytes(count: 32)) as! StandInSigner }
        for length in [0, 1, 7, 8, 9, 15, 16, 17, 63, 64, 95, 96, 97, 127, 128, 129, 200] {
            for (s, signer) in signers.enumerated() {
                let message = rng.bytes(count: length)
                let signature = signer.sign(message)
                #expect(Self.plainVerdict(signature, secret: signer.secret, message: message))
                #expect(scheme.verify(signature, message: message, publicKey: signer.publicKey), "length \(length)")
                // Another signer's key: its secret differs, so the memo's entry does not match.
                let other = signers[(s + 1) % signers.count]
                #expect(
                    scheme.verify(signature, message: message, publicKey: other.publicKey)
                        == Self.plainVerdict(signature, secret: other.secret, message: message))
                // Every byte of the message changed, one at a time.
                for i in message.indices {
                    var forged = message
                    forged[i] ^= 1 << UInt8(i % 8)
                    #expect(
                        scheme.verify(signature, message: forged, publicKey: signer.publicKey)
                            == Self.plainVerdict(signature, secret: signer.secret, message: forged), "length \(length) byte \(i)")
                }
                // The message one byte shorter and longer (the length is part of what matches).
                if !message.isEmpty {
                    let shorter = Array(message.dropLast())
                    #expect(
                        scheme.verify(signature, message: shorter, publicKey: signer.publicKey)
                            == Self.plainVerdict(signature, secret: signer.secret, message: shorter))
                }
                let longer = message + [0]
                #expect(
                    scheme.verify(signature, message: longer, publicKey: signer.publicKey)
                        == Self.plainVerdict(signature, secret: signer.secret, message: longer))
                // Every byte of the signature changed, one at a time.
                for i in 0..<64 {
                    var bytes = signature.bytes
                    bytes[i] ^= 0x80
                    let forged = Signature(bytes: bytes)!
                    #expect(!scheme.verify(forged, message: message, publicKey: signer.publicKey))
                    #expect(!Self.plainVerdict(forged, secret: signer.secret, message: message))
                }
            }
        }
    }

    /// A request signed through `RequestSigner` (the node's path, which records) verifies through
    /// `RequestVerifier` (the server's, which asks the memo) exactly as it does under a scheme
    /// with the same secrets and no memo of it (a second instance: `makeSigner` is deterministic).
    @Test func theNodesRequestsVerifyAsUnderASchemeWithoutTheMemo() throws {
        let scheme = StandInSignatureScheme(), fresh = StandInSignatureScheme()
        let sha = SodiumSHA256()
        var rng = SystemTestRNG(state: 137)
        let seed = rng.bytes(count: 32)
        var signer = RequestSigner(signer: scheme.makeSigner(seed: seed), hasher: sha)
        _ = fresh.makeSigner(seed: seed)
        let verifier = RequestVerifier(scheme: scheme, hasher: sha)
        let plain = RequestVerifier(scheme: fresh, hasher: sha)
        for second in Int64(1_700_000_000)..<1_700_000_050 {
            let body = second.isMultiple(of: 3) ? Array("{}".utf8) : rng.bytes(count: Int(second % 40))
            let headers = signer.signedHeaders(method: "POST", path: "/node-heartbeat", body: body, unixSeconds: second)
            for (path, method, sentBody) in [
                ("/node-heartbeat", "POST", body), ("/node-heartbeat", "GET", body), ("/chunk-complete", "POST", body),
                ("/node-heartbeat", "POST", body + [0x20]),
            ] {
                let remembered = Result { () throws(SignatureError) in
                    try verifier.verify(headers: headers, method: method, path: path, body: sentBody, nowUnixSeconds: second)
                }
                let computed = Result { () throws(SignatureError) in
                    try plain.verify(headers: headers, method: method, path: path, body: sentBody, nowUnixSeconds: second)
                }
                #expect(remembered == computed, "\(method) \(path) at \(second)")
            }
        }
    }

    /// The memo alone: it remembers the triple it was given until another signature takes the
    /// same place, and never says "yes" for any other triple.
    @Test func theMemoRemembersOnlyWhatItWasGiven() {
        var memo = StandInSignatureMemo()
        var rng = SystemTestRNG(state: 139)
        let secret = Bytes32(rng.bytes(count: 32))!
        let otherSecret = Bytes32(rng.bytes(count: 32))!
        let message = Self.buffer(rng.bytes(count: 96))
        let copy = Self.buffer(Array(message))
        defer { message.deallocate(); copy.deallocate() }
        let signature = Signature(bytes: rng.bytes(count: 64))!
        let remembered1 = memo.remembers(signature, secret: secret, message: UnsafeRawBufferPointer(message))
        #expect(!remembered1)  // nothing allocated yet
        memo.record(signature, secret: secret, message: UnsafeRawBufferPointer(message))
        let remembered2 = memo.remembers(signature, secret: secret, message: UnsafeRawBufferPointer(message))
        #expect(remembered2)
        let remembered3 = memo.remembers(signature, secret: otherSecret, message: UnsafeRawBufferPointer(message))
        #expect(!remembered3)
        // The same bytes elsewhere are the same message.
        let remembered4 = memo.remembers(signature, secret: secret, message: UnsafeRawBufferPointer(copy))
        #expect(remembered4)
        // A signature whose first word lands in the same place replaces the entry.
        var clash = signature.bytes
        clash[63] ^= 1
        let other = Signature(bytes: clash)!
        memo.record(other, secret: secret, message: UnsafeRawBufferPointer(message))
        let remembered5 = memo.remembers(other, secret: secret, message: UnsafeRawBufferPointer(message))
        #expect(remembered5)
        let remembered6 = memo.remembers(signature, secret: secret, message: UnsafeRawBufferPointer(message))
        #expect(!remembered6)
        // Messages outside 8...128 bytes are not remembered.
        for count in [0, 7, 129, 300] {
            let bytes = Self.buffer(rng.bytes(count: count))
            defer { bytes.deallocate() }
            memo.record(signature, secret: secret, message: UnsafeRawBufferPointer(bytes))
            let remembered7 = memo.remembers(signature, secret: secret, message: UnsafeRawBufferPointer(bytes))
            #expect(!remembered7, "count \(count)")
        }
    }

    /// `bytes` in a buffer of their own (deallocated by the caller).
    static func buffer(_ bytes: [UInt8]) -> UnsafeMutableRawBufferPointer {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 1)
        buffer.copyBytes(from: bytes)
        return buffer
    }

    /// The word-wise copy and compare cover every byte of every length the memo takes: a
    /// difference at any one position is seen, and the copy writes exactly those bytes.
    @Test func wordsCopyAndCompareEveryByte() {
        var rng = SystemTestRNG(state: 149)
        for count in 8...StandInSignatureMemo.messageRoom {
            let source = rng.bytes(count: count)
            var target = [UInt8](repeating: 0xA5, count: count + 16)
            source.withUnsafeBytes { s in
                target.withUnsafeMutableBytes { t in RequestSigning.copyWords(from: s.baseAddress!, count: count, to: t.baseAddress! + 8) }
            }
            #expect(Array(target[8..<(8 + count)]) == source)
            #expect(target[..<8].allSatisfy { $0 == 0xA5 } && target[(8 + count)...].allSatisfy { $0 == 0xA5 })
            for i in 0..<count {
                var changed = source
                changed[i] ^= 0x01
                let same = source.withUnsafeBytes { a in
                    changed.withUnsafeBytes { b in StandInSignatureMemo.sameWords(a.baseAddress!, b.baseAddress!, count: count) }
                }
                #expect(!same, "count \(count) byte \(i)")
            }
            let equal = source.withUnsafeBytes { a in
                Array(source).withUnsafeBytes { b in StandInSignatureMemo.sameWords(a.baseAddress!, b.baseAddress!, count: count) }
            }
            #expect(equal)
        }
    }
}
