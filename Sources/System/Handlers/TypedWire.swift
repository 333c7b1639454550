/// The typed wire: a stand-in for the JSON bodies of the per-event node messages, for fleets of
/// thousands of nodes in simulation (`WorldConfig.wire = .typed`; never in production, never in
/// the catalogue's scenarios, which run the real codec).
///
/// On the real wire a node encodes its heartbeat or completion as canonical JSON, signs the
/// body's SHA-256, and the handler parses it back; the handler's answer is encoded and the node
/// parses it. Under the typed wire the simulated network hands over the values instead: the
/// request carries `APIRequest.wire` (and an empty body), the answer `APIResponse.wire`. What
/// the values are is pinned by `TypedWireTests`: for generated values of every typed message,
/// the value delivered is exactly what the codec decodes from the encoded body (requests through
/// the handler's own readers, answers through `JSONValue.parse` and `ResponseClass`), and a
/// fleet's store decisions are identical on both wires.
///
/// Everything else is unchanged: the route, the signature headers and their verification (the
/// signed message's body digest is `WireRequest.digest`, a 256-bit mix of the fields, instead of
/// the body's SHA-256: both sides compute it, so a signature verifies, and is remembered against
/// replays, exactly when the encoded one would), the store transaction, the status and the error
/// code. Only the two messages every node sends all the time are typed (heartbeat and
/// chunk-complete, with their answers and every rejection of them); registration, claims,
/// fetches and the portal's requests keep their JSON bodies on either wire. One check sees no
/// bytes: a typed body is not measured against `RequestLimits.maxBodyBytes`; the largest one (a
/// heartbeat naming 256 chunks, about 10 KB encoded) is under the default 16 KiB, so the two
/// wires answer alike as long as a profile keeps at least that limit.
///
/// One reference wide (the value lives in a box), so that `APIRequest`, and with it every
/// simulated event that carries one, grows by a pointer only, on both wires.
public struct WireRequest: Sendable, Equatable {
    private final class Box: Sendable {
        let body: WireRequestBody
        let digest: Digest32
        init(_ body: WireRequestBody) {
            self.body = body
            self.digest = body.digest
        }
    }

    private let box: Box

    public init(_ body: WireRequestBody) { box = Box(body) }

    public var body: WireRequestBody { box.body }
    /// Stands for the body's SHA-256 in the signed message (`RequestSigning.message`).
    public var digest: Digest32 { box.digest }

    public static func == (a: WireRequest, b: WireRequest) -> Bool {
        a.box === b.box || (a.body == b.body && a.digest == b.digest)
    }
}

/// The request bodies the typed wire carries as values.
public enum WireRequestBody: Sendable, Equatable {
    /// `POST /node-heartbeat`: `{computing?: [chunkId], publicKey?}`.
    case heartbeat(computing: [ChunkID], publicKey: PublicKey?)
    /// `POST /chunk-complete`: `{attempt?, chunkId, publicKey?, result}`.
    case chunkComplete(chunkID: ChunkID, attempt: Int?, result: ChunkResult, publicKey: PublicKey?)

    /// The JSON body the real wire carries for it (the node's own writers).
    public var encoded: [UInt8] {
        switch self {
        case .heartbeat(let computing, let key):
            return NodeRequestBody.heartbeat(computing: computing, publicKey: key)
        case .chunkComplete(let chunkID, let attempt, let result, let key):
            return NodeRequestBody.chunkComplete(chunkID: chunkID, attempt: attempt, result: result, publicKey: key)
        }
    }

    /// The body's `publicKey` (today's unsigned nodes name themselves by it).
    public var publicKey: PublicKey? {
        switch self {
        case .heartbeat(_, let key), .chunkComplete(_, _, _, let key): return key
        }
    }

    /// A 256-bit mix of every field (four SplitMix64 lanes), standing for the body's SHA-256 in
    /// the signed message. Not a cryptographic hash: the typed wire only runs in simulated
    /// fleets with stand-in signatures, where what matters is that distinct bodies get distinct
    /// digests (so distinct requests get distinct signatures) and equal bodies equal ones.
    public var digest: Digest32 {
        var mix = WireDigest()
        switch self {
        case .heartbeat(let computing, let key):
            mix.add(1)
            mix.add(UInt64(computing.count))
            for id in computing { mix.add(id.raw.high); mix.add(id.raw.low) }
            mix.add(key)
        case .chunkComplete(let chunkID, let attempt, let result, let key):
            mix.add(2)
            mix.add(chunkID.raw.high); mix.add(chunkID.raw.low)
            mix.add(attempt.map { UInt64(bitPattern: Int64($0)) } ?? 0x8000_0000_0000_0000)
            mix.add(attempt == nil ? 0 : 1)
            let t = result.tally
            mix.add(UInt64(bitPattern: Int64(t.fightLengthSeconds)))
            mix.add(UInt64(bitPattern: Int64(t.iterations)))
            mix.add(UInt64(truncatingIfNeeded: t.damageSum)); mix.add(UInt64(truncatingIfNeeded: t.damageSum >> 64))
            mix.add(UInt64(truncatingIfNeeded: t.damageSquaresSum)); mix.add(UInt64(truncatingIfNeeded: t.damageSquaresSum >> 64))
            mix.add(t.minDamage); mix.add(t.maxDamage)
            mix.add(key)
        }
        return mix.digest
    }
}

/// The answers the typed wire carries as values: those of the typed requests, and every
/// rejection of them. Indirect: one reference wide in `APIResponse`.
public indirect enum WireResponseBody: Sendable, Equatable {
    /// `{id, maxParallel, name, renewed, status}` (heartbeat accepted).
    case heartbeat(id: NodeID, maxParallel: Int, name: String, renewed: Int, status: NodeStatus)
    /// `{duplicate, jobComplete, success: true}` (completion accepted, or a duplicate).
    case completion(duplicate: Bool, jobComplete: Bool)
    /// `{error, message, retryAfterSeconds?}` (`APIResponse.rejection`).
    case rejection(code: String, message: String, retryAfterSeconds: Int?)

    /// The canonical JSON the real wire carries for it (the handlers' own writers).
    public var encoded: [UInt8] {
        switch self {
        case .heartbeat(let id, let maxParallel, let name, let renewed, let status):
            return RequestHandlers.heartbeatAnswerBytes(id: id, maxParallel: maxParallel, name: name, renewed: renewed, status: status)
        case .completion(let duplicate, let jobComplete):
            return RequestHandlers.completionAnswerBytes(jobComplete: jobComplete, duplicate: duplicate)
        case .rejection:
            return json.canonicalBytes
        }
    }

    /// The tree a client reads (`APIResponse.json`): what parsing `encoded` gives.
    public var json: JSONValue {
        switch self {
        case .heartbeat(let id, let maxParallel, let name, let renewed, let status):
            return .object([
                "id": .string(id.uuidString), "maxParallel": .number(Double(maxParallel)), "name": .string(name),
                "renewed": .number(Double(renewed)), "status": .string(status.rawValue),
            ])
        case .completion(let duplicate, let jobComplete):
            return .object(["duplicate": .bool(duplicate), "jobComplete": .bool(jobComplete), "success": .bool(true)])
        case .rejection(let code, let message, let retryAfter):
            var fields: [String: JSONValue] = ["error": .string(code), "message": .string(message)]
            if let retryAfter { fields["retryAfterSeconds"] = .number(Double(retryAfter)) }
            return .object(fields)
        }
    }

    /// The `error` code of a rejection, read without a tree.
    public var errorCode: String? {
        if case .rejection(let code, _, _) = self { return code }
        return nil
    }
}

extension APIResponse {
    /// A typed answer: the status and headers of the encoded one, the value instead of the body.
    public init(status: Int, headers: APIHeaders = [:], wire: WireResponseBody) {
        self.init(status: status, headers: headers, body: [])
        self.wire = wire
    }

    /// This answer as the real wire carries it (the body encoded, no value): what a typed
    /// answer stands for.
    public var encodedForWire: APIResponse {
        guard let wire else { return self }
        return APIResponse(status: status, headers: headers, body: wire.encoded)
    }

    /// `rejection(error)` as a typed answer (same status and headers).
    public static func typedRejection(_ error: APIError) -> APIResponse {
        let encoded = rejection(error)
        var retryAfter: Int? = nil
        if case .rateLimited(_, let seconds) = error { retryAfter = Int(seconds) }
        return APIResponse(
            status: encoded.status, headers: encoded.headers,
            wire: .rejection(code: error.code, message: error.description, retryAfterSeconds: retryAfter))
    }
}

extension APIRequest {
    /// A typed request: an empty body, the value beside it.
    public init(method: String, path: String, headers: APIHeaders, wire: WireRequest) {
        self.init(method: method, path: path, headers: headers)
        self.wire = wire
    }

    /// This request as the real wire carries it (the body encoded, no value).
    public var encodedForWire: APIRequest {
        guard let wire else { return self }
        var r = self
        r.wire = nil
        r.body = wire.body.encoded
        return r
    }
}

extension HandlerOutcome {
    /// `rejected(error)`, typed if the request came typed.
    static func rejected(_ error: APIError, typed: Bool) -> HandlerOutcome {
        typed ? HandlerOutcome(response: .typedRejection(error), error: error) : .rejected(error)
    }
}

/// Four SplitMix64 lanes fed the same words with different seeds.
struct WireDigest {
    var lanes: (UInt64, UInt64, UInt64, UInt64) = (0x6A09_E667_F3BC_C908, 0xBB67_AE85_84CA_A73B, 0x3C6E_F372_FE94_F82B, 0xA54F_F53A_5F1D_36F1)

    @inline(__always)
    static func mix(_ x: UInt64) -> UInt64 { SplitMix64.mix(x) }

    mutating func add(_ word: UInt64) {
        lanes.0 = Self.mix(lanes.0 ^ word)
        lanes.1 = Self.mix(lanes.1 &+ word)
        lanes.2 = Self.mix(lanes.2 ^ (word &* 0xFF51_AFD7_ED55_8CCD))
        lanes.3 = Self.mix(lanes.3 &+ (word ^ 0xC4CE_B9FE_1A85_EC53))
    }

    mutating func add(_ key: PublicKey?) {
        guard let key else { add(0); return }
        add(1)
        key.withUnsafeBytes { raw in
            for i in 0..<4 { add(raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)) }
        }
    }

    var digest: Digest32 {
        // Each lane's bytes little-endian, written into the digest's inline storage.
        var bytes = Bytes32()
        bytes.withUnsafeMutableBytes { raw in
            raw.storeBytes(of: lanes.0.littleEndian, toByteOffset: 0, as: UInt64.self)
            raw.storeBytes(of: lanes.1.littleEndian, toByteOffset: 8, as: UInt64.self)
            raw.storeBytes(of: lanes.2.littleEndian, toByteOffset: 16, as: UInt64.self)
            raw.storeBytes(of: lanes.3.littleEndian, toByteOffset: 24, as: UInt64.self)
        }
        return Digest32(storage: bytes)
    }
}
