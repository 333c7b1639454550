import Testing

@testable import JobSystem

/// The typed wire (`TypedWire.swift`, `WorldConfig.wire = .typed`) is a stand-in only if the
/// value it hands over is exactly what the codec decodes from the encoded body. A round-trip
/// property over generated values of every message it carries: the two request bodies (through
/// the handlers' own readers, the canonical fast path and the general parser), the two answers
/// and every rejection (through `JSONValue.parse`, `errorCode` and `ResponseClass`, which is all
/// a client reads). The fleet-level check (same store decisions on both wires) is in
/// `SimHarnessTests/TypedWireFleetTests`.
@Suite struct TypedWireTests {
    typealias Draws = CodecFastPathTests.Draws

    static func chunkID(_ draws: inout Draws) -> ChunkID { ChunkID(Identifier(high: draws.next(), low: draws.next())) }

    static func key(_ draws: inout Draws) -> PublicKey {
        PublicKey(bytes: (0..<32).map { _ in UInt8(truncatingIfNeeded: draws.next()) })!
    }

    static func result(_ draws: inout Draws) -> ChunkResult {
        let n = Int(draws.next() % 1_000) + 1
        let base = draws.next() % 1_000_000_000_000
        let damages = (0..<n).map { _ in base + draws.next() % (base / 3 + 1) }
        return ChunkResult(tally: DamageTally(fightLengthSeconds: Int(draws.next() % 600) + 1, iterationDamages: damages))
    }

    /// Names with what JSON must escape or encode: quotes, backslashes, controls, non-ASCII.
    static func name(_ draws: inout Draws) -> String {
        let pieces = ["n", "ode", "\"", "\\", "\u{1}", "\n", "é", "😀", "\u{FF61}", "7", " ", "/"]
        return (0..<Int(draws.next() % 8)).map { _ in pieces[Int(draws.next() % UInt64(pieces.count))] }.joined()
    }

    static func request(_ path: String, _ body: [UInt8]) -> APIRequest {
        APIRequest(method: "POST", path: path, body: body)
    }

    @Test func heartbeatBodiesDecodeToTheTypedValue() throws {
        var draws = Draws(state: 11)
        for round in 0..<2_000 {
            let count = round == 0 ? RequestHandlers.maxComputingChunks : Int(draws.next() % 9)
            let ids = (0..<count).map { _ in Self.chunkID(&draws) }
            let publicKey = round % 3 == 0 ? Self.key(&draws) : nil
            let wire = WireRequest(.heartbeat(computing: ids, publicKey: publicKey))
            let encoded = Self.request("/node-heartbeat", wire.body.encoded)
            let typed = APIRequest(method: "POST", path: "/node-heartbeat", headers: [:], wire: wire)
            #expect(typed.encodedForWire == encoded)
            // What the handler reads from the bytes (fast path or general parser) is the value.
            let fromBytes = try RequestHandlers.computingChunks(encoded)
            #expect(fromBytes == ids)
            #expect(try RequestHandlers.computingChunks(typed) == fromBytes)
            #expect(try RequestHandlers.computingChunks(Self.request("/node-heartbeat", try JSONValue.parse(encoded.body).canonicalBytes)) == ids)
            if let publicKey {
                #expect(try RequestBody(encoded.body).publicKey("publicKey") == publicKey)
            } else {
                #expect(try RequestBody(encoded.body).optional("publicKey") == nil)
            }
            #expect(wire.body.publicKey == publicKey)
        }
    }

    @Test func tooLongAComputingListIsRefusedTheSameOnBothWires() {
        var draws = Draws(state: 12)
        let ids = (0...RequestHandlers.maxComputingChunks).map { _ in Self.chunkID(&draws) }
        let wire = WireRequest(.heartbeat(computing: ids, publicKey: nil))
        var fromBytes: APIError? = nil
        var fromValue: APIError? = nil
        do { _ = try RequestHandlers.computingChunks(Self.request("/node-heartbeat", wire.body.encoded)) } catch { fromBytes = error }
        do { _ = try RequestHandlers.computingChunks(APIRequest(method: "POST", path: "/node-heartbeat", headers: [:], wire: wire)) } catch {
            fromValue = error
        }
        #expect(fromBytes != nil)
        #expect(fromBytes == fromValue)
    }

    @Test func completionBodiesDecodeToTheTypedValue() throws {
        var draws = Draws(state: 13)
        for round in 0..<1_000 {
            let id = Self.chunkID(&draws)
            let r = Self.result(&draws)
            let attempt: Int? = round % 4 == 0 ? nil : Int(draws.next() % 1_000)
            let publicKey = round % 5 == 0 ? Self.key(&draws) : nil
            let wire = WireRequest(.chunkComplete(chunkID: id, attempt: attempt, result: r, publicKey: publicKey))
            let body = wire.body.encoded
            let general = try RequestHandlers.chunkCompleteBody(body)
            #expect(general.chunkID == id && general.attempt == attempt && general.result == r)
            if let fast = NodeRequestBody.readChunkComplete(body) {
                #expect(fast.chunkID == id && fast.attempt == attempt && fast.result == r)
            }
            if let publicKey { #expect(try RequestBody(body).publicKey("publicKey") == publicKey) }
            #expect(wire.body.publicKey == publicKey)
            #expect(APIRequest(method: "POST", path: "/chunk-complete", headers: [:], wire: wire).encodedForWire.body == body)
        }
    }

    @Test func digestsSeparateDistinctBodiesAndSignaturesVerifyOverThem() throws {
        var draws = Draws(state: 14)
        var seen: [Digest32: WireRequestBody] = [:]
        let scheme = StandInSignatureScheme()
        let signer = RequestSigner(signer: scheme.makeSigner(seed: [UInt8](repeating: 3, count: 32)), hasher: SodiumSHA256())
        let verifier = RequestVerifier(scheme: scheme, hasher: SodiumSHA256())
        for round in 0..<3_000 {
            let body: WireRequestBody
            switch round % 3 {
            case 0: body = .heartbeat(computing: [], publicKey: nil)  // equal bodies, equal digests
            case 1: body = .heartbeat(computing: (0..<Int(draws.next() % 4)).map { _ in Self.chunkID(&draws) }, publicKey: nil)
            default:
                body = .chunkComplete(
                    chunkID: Self.chunkID(&draws), attempt: Int(draws.next() % 3), result: Self.result(&draws), publicKey: nil)
            }
            let wire = WireRequest(body)
            if let earlier = seen[wire.digest] { #expect(earlier == body, "two bodies, one digest") }
            seen[wire.digest] = body
            #expect(WireRequest(body).digest == wire.digest)
            let headers = signer.sign(method: "POST", path: "/node-heartbeat", bodyDigest: wire.digest, unixSeconds: 1_000)
            var named: APIHeaders = [:]
            for (k, v) in headers.headers { named[k] = v }
            #expect(throws: Never.self) {
                _ = try verifier.verify(headers: named, method: "POST", path: "/node-heartbeat", bodyDigest: wire.digest, nowUnixSeconds: 1_000)
            }
            // Another body under the same signature does not verify.
            let other = WireRequest(.heartbeat(computing: [Self.chunkID(&draws)], publicKey: nil))
            #expect(throws: SignatureError.badSignature) {
                _ = try verifier.verify(headers: named, method: "POST", path: "/node-heartbeat", bodyDigest: other.digest, nowUnixSeconds: 1_000)
            }
        }
    }

    /// A typed answer and its encoded form are read the same by every client path.
    static func expectSameReading(_ typed: APIResponse, _ encoded: APIResponse) throws {
        #expect(typed.body.isEmpty && typed.wire != nil)
        #expect(typed.encodedForWire == encoded, "status, headers and body bytes")
        #expect(try JSONValue.parse(encoded.body) == typed.wire!.json)
        #expect(typed.json == encoded.json)
        #expect(typed.errorCode == encoded.errorCode)
        #expect(ResponseClass(typed) == ResponseClass(encoded))
    }

    @Test func answersReadTheSameTypedAndEncoded() throws {
        var draws = Draws(state: 15)
        for _ in 0..<2_000 {
            let node = NodeRow(
                id: NodeID(Identifier(high: draws.next(), low: draws.next())), publicKey: Self.key(&draws), userID: nil,
                name: Self.name(&draws), status: NodeStatus.allCases[Int(draws.next() % 3)], totalCores: 4,
                maxParallel: Int(draws.next() % 64) + 1, platform: "linux", version: "2.0.0", claimCode: "c", lastSeenAt: nil,
                createdAt: Timestamp(micros: 0))
            let renewed = Int(draws.next() % 300)
            let typed = APIResponse(
                status: 200,
                wire: .heartbeat(id: node.id, maxParallel: node.maxParallel, name: node.name, renewed: renewed, status: node.status))
            try Self.expectSameReading(typed, RequestHandlers.heartbeatAnswer(node, renewed: renewed))
        }
        for (done, duplicate) in [(false, false), (true, false), (false, true), (true, true)] {
            try Self.expectSameReading(
                RequestHandlers.completionAnswer(jobComplete: done, duplicate: duplicate, typed: true),
                RequestHandlers.completionAnswer(jobComplete: done, duplicate: duplicate))
        }
    }

    /// Every rejection case (with generated contents, names and reasons with characters JSON
    /// escapes), typed and encoded: same status, headers (`Retry-After`), body and reading.
    @Test func rejectionsReadTheSameTypedAndEncoded() throws {
        var draws = Draws(state: 16)
        for _ in 0..<300 {
            let text = Self.name(&draws)
            let id = Self.chunkID(&draws)
            let n = Int(draws.next() % 100_000)
            let errors: [APIError] = [
                .routeNotFound("/" + text), .methodNotAllowed(method: "GET", path: "/" + text), .unauthenticated,
                .signature(.missingHeader(RequestSigning.keyHeader)), .signature(.malformedKey), .signature(.malformedSignature),
                .signature(.malformedTimestamp), .signature(.outsideWindow(skewSeconds: Int64(n) - 50_000)),
                .signature(.badSignature), .signature(.replayed), .signature(.unknownNode), .signature(.unsigned),
                .keyMismatch, .bodyNotObject, .missingField(text), .invalidField(field: text, expected: "an integer"),
                .invalidQuery(parameter: text, expected: "a hash"), .configTooLarge(bytes: n, limit: 1_000),
                .bodyTooLarge(bytes: n, limit: 1_000), .requestTooLarge(part: "headers", bytes: n, limit: 8_192),
                .unknownRotation(text), .iterationTooCostly(casts: n, limit: 10), .jobTooCostly(casts: n, limit: 10),
                .invalidIterations(n, limit: 1_000), .discordServerRequired,
                .invalidResult(.missingField(text)), .invalidResult(.wrongType(field: text, expected: "a string")),
                .invalidResult(.inconsistent(text)), .resultMismatch(text), .staleClaim(id), .chunkAlreadyCompleted(id),
                .chunkNotHeld(id), .jobNotFound(text), .rateLimited(what: text, retryAfterSeconds: n % 3_600 + 1),
                .store(.connectionLost), .store(.chunkNotFound(id)), .store(.nodeNotFound), .store(.nodeNotClaimed(NodeID(id.raw))),
                .store(.conflict(text)), .store(.database(sqlState: "40001", message: text)), .store(.illegalTransition(text)),
            ]
            for error in errors {
                try Self.expectSameReading(.typedRejection(error), .rejection(error))
                let outcome = HandlerOutcome.rejected(error, typed: true)
                #expect(outcome.error == error && outcome.status == HandlerOutcome.rejected(error).status)
            }
        }
    }

    /// Through the handlers with a store: a typed heartbeat and its encoded twin get the same
    /// answer (as read by a client) and leave the same store.
    @Test func handlersAnswerTypedRequestsAsTheyAnswerEncodedOnes() throws {
        let scheme = StandInSignatureScheme()
        let handlers = RequestHandlers(profile: .fixed, hasher: SodiumSHA256(), scheme: scheme)
        let seed = [UInt8](repeating: 5, count: 32)
        let signer = RequestSigner(signer: scheme.makeSigner(seed: seed), hasher: SodiumSHA256())
        let now = Timestamp(micros: 1_000_000_000_000)
        var store = EmbeddedStore(seed: 1, triggerInstalled: true, now: now)
        // Unknown node first (401 unknown_node, typed), on both wires.
        var draws = Draws(state: 17)
        for round in 0..<50 {
            let body: WireRequestBody = round % 2 == 0
                ? .heartbeat(computing: (0..<Int(draws.next() % 3)).map { _ in Self.chunkID(&draws) }, publicKey: nil)
                : .chunkComplete(chunkID: Self.chunkID(&draws), attempt: 1, result: Self.result(&draws), publicKey: nil)
            let path = round % 2 == 0 ? "/node-heartbeat" : "/chunk-complete"
            let wire = WireRequest(body)
            let unix = now.unixSeconds + Int64(round)
            var typedHeaders: APIHeaders = [:]
            for (k, v) in signer.sign(method: "POST", path: path, bodyDigest: wire.digest, unixSeconds: unix).headers { typedHeaders[k] = v }
            var encodedHeaders: APIHeaders = [:]
            for (k, v) in signer.sign(method: "POST", path: path, body: body.encoded, unixSeconds: unix).headers { encodedHeaders[k] = v }
            let typed = APIRequest(method: "POST", path: path, headers: typedHeaders, wire: wire)
            var encoded = typed.encodedForWire
            encoded.headers = encodedHeaders
            var a = store
            var b = store
            let t = handlers.handle(typed, store: &a, now: now)
            let e = handlers.handle(encoded, store: &b, now: now)
            #expect(t.error == e.error && t.error != nil)
            try Self.expectSameReading(t.response, e.response)
            store = a
        }
    }
}
