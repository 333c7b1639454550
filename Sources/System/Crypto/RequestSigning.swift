import CPrefetch

/// Node request authentication, wire-compatible with today's edge-function verifier
/// (`_shared/ed25519.ts`):
///
/// - `X-Node-Key`: standard base64 of the node's 32-byte Ed25519 public key;
/// - `X-Node-Sig`: standard base64 of the 64-byte detached signature;
/// - `X-Node-Ts`: unix seconds in decimal;
/// - signed message: UTF-8 of `"{ts}\0{METHOD}\0{path}\0{hex SHA-256 of the raw body}"`, with
///   NUL separators (which cannot occur in any of the fields, so fields cannot be shifted
///   across separators to forge a different request with the same signature).
///
/// Verification here covers what needs only the request: header syntax, the timestamp window
/// and the signature. Replay rejection (`ReplayGuard`) and "key belongs to a registered node"
/// need state and are applied by the handlers, which is why `SignatureError` has cases for them.

/// Why a request's authentication was rejected.
public enum SignatureError: Error, Equatable, Sendable, CustomStringConvertible {
    /// One of the three headers is absent while another is present.
    case missingHeader(String)
    /// `X-Node-Key` is not strict base64 of 32 bytes (or was given twice with different values).
    case malformedKey
    /// `X-Node-Sig` is not strict base64 of 64 bytes (or was given twice with different values).
    case malformedSignature
    /// `X-Node-Ts` is not a canonical non-negative decimal `Int64` (no sign, no leading zeros).
    case malformedTimestamp
    /// The timestamp is further than the window from now; `skewSeconds` = ts − now (positive
    /// when the request claims to come from the future).
    case outsideWindow(skewSeconds: Int64)
    /// The signature does not verify for this key, method, path, body and timestamp.
    case badSignature
    /// The signature was already used within its validity window.
    case replayed
    /// The signature is valid but the key is not a registered node.
    case unknownNode
    /// None of the three headers is present (distinguished from `missingHeader` so a migration
    /// phase can choose to tolerate unsigned requests from not-yet-updated nodes).
    case unsigned

    public var description: String {
        switch self {
        case .missingHeader(let name): return "missing header \(name)"
        case .malformedKey: return "\(RequestSigning.keyHeader) is not base64 of a 32-byte public key"
        case .malformedSignature: return "\(RequestSigning.signatureHeader) is not base64 of a 64-byte signature"
        case .malformedTimestamp: return "\(RequestSigning.timestampHeader) is not decimal unix seconds"
        case .outsideWindow(let skew):
            return "request timestamp is \(skew < 0 ? "\(skew.magnitude) s in the past" : "\(skew) s in the future"), outside the accepted window"
        case .badSignature: return "signature does not verify"
        case .replayed: return "signature was already used (replay)"
        case .unknownNode: return "public key does not belong to a registered node"
        case .unsigned: return "request is not signed"
        }
    }
}

/// Names and message layout shared by signer and verifier.
public enum RequestSigning {
    // Literals rather than stored `static let`s: every signed request compares header names
    // with these, and a stored global is reached through a lazy-initialisation check.
    public static var keyHeader: String { "X-Node-Key" }
    public static var signatureHeader: String { "X-Node-Sig" }
    public static var timestampHeader: String { "X-Node-Ts" }

    /// Default accepted clock skew in seconds, either direction (a profile value).
    public static let defaultWindow: Int64 = 300

    /// The exact bytes that are signed. `method` is upper-cased (ASCII) on both sides so that
    /// a client library's spelling cannot break verification; `path` is used verbatim.
    public static func message(timestamp: Int64, method: String, path: String, bodyDigest: Digest32) -> [UInt8] {
        withMessage(timestamp: timestamp, method: method, path: path, bodyDigest: bodyDigest) { Array($0) }
    }

    /// Calls `body` with the bytes of `message(...)`, built in a temporary buffer (on the stack
    /// for any ordinary request): signing and verifying allocate nothing for the message.
    ///
    /// Every signed request builds it twice, once on each side, so it is written in one pass
    /// into one stack buffer (`messageBufferSize`, 256 bytes: any message with a method and path of
    /// up to 165 bytes between them; longer ones in a temporary allocation): the timestamp's
    /// digits from the end of a 24-byte headroom (two per division by 100, a multiply; no
    /// count first, no table behind a lazy global), the message starting where they do; the
    /// method and path as blocks from their UTF-8 in place; the digest's hex by
    /// `SodiumSHA256.writeHex` (SSE2: about 50 instructions where the table loop of `Hex.write`
    /// took about 210).
    public static func withMessage<R>(
        timestamp: Int64, method: String, path: String, bodyDigest: Digest32, _ body: (UnsafeRawBufferPointer) -> R
    ) -> R {
        // The method's and path's UTF-8 read in place (a small string's on the stack) and
        // copied as blocks: iterating their `utf8` views cost about ten instructions a byte.
        // Read without a mutable copy (`withUTF8` on a `var` retained and released each).
        withUTF8Bytes(of: method) { methodBytes in
            withUTF8Bytes(of: path) { pathBytes in
                let size = digitsHeadroom &+ 1 &+ methodBytes.count &+ 1 &+ pathBytes.count &+ 1 &+ 64
                if size <= messageBufferSize {
                    // On the stack and not initialised (a zeroed buffer cost about 17
                    // instructions a message): only the bytes written are read.
                    return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: messageBufferSize) { out in
                        let base = out.baseAddress!
                        let (start, end) = writeMessage(
                            into: base, timestamp: timestamp, method: methodBytes, path: pathBytes, bodyDigest: bodyDigest)
                        return body(UnsafeRawBufferPointer(start: base + start, count: end &- start))
                    }
                }
                return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: size) { out in
                    let base = out.baseAddress!
                    let (start, end) = writeMessage(
                        into: base, timestamp: timestamp, method: methodBytes, path: pathBytes, bodyDigest: bodyDigest)
                    return body(UnsafeRawBufferPointer(start: base + start, count: end &- start))
                }
            }
        }
    }

    /// Room before the message's fixed part for the timestamp's text, which is written from
    /// its last digit backwards: any `Int64` ("-9223372036854775808" is 20 characters).
    private static var digitsHeadroom: Int { 24 }

    /// The stack buffer of `withMessage`: 256 bytes.
    private static var messageBufferSize: Int { 256 }

    /// The two decimal digits of `r` (< 100), the first in the low byte.
    @inline(__always)
    private static func digitPair(_ r: UInt16) -> UInt16 {
        let tens: UInt16 = r / 10
        let ones: UInt16 = r &- tens &* 10
        return (0x30 &+ tens) | (0x30 &+ ones) << 8
    }

    /// Writes the message into `base` (room for `digitsHeadroom` + 3 + method + path + 64
    /// bytes); returns where it starts and ends.
    @inline(__always)
    private static func writeMessage(
        into base: UnsafeMutablePointer<UInt8>, timestamp: Int64, method: UnsafeBufferPointer<UInt8>,
        path: UnsafeBufferPointer<UInt8>, bodyDigest: Digest32
    ) -> (start: Int, end: Int) {
        // The magnitude's digits backwards from the headroom's end, two per division by 100,
        // the first alone if their count is odd; then the sign.
        var value = timestamp.magnitude
        var start = digitsHeadroom
        while value >= 100 {
            let q = value / 100
            start &-= 2
            UnsafeMutableRawPointer(base + start).storeBytes(
                of: digitPair(UInt16(truncatingIfNeeded: value &- q &* 100)).littleEndian, as: UInt16.self)
            value = q
        }
        if value >= 10 {
            start &-= 2
            UnsafeMutableRawPointer(base + start).storeBytes(of: digitPair(UInt16(truncatingIfNeeded: value)).littleEndian, as: UInt16.self)
        } else {
            start &-= 1
            base[start] = UInt8(truncatingIfNeeded: 0x30 &+ value)
        }
        if timestamp < 0 {
            start &-= 1
            base[start] = UInt8(ascii: "-")
        }
        var o = digitsHeadroom
        base[o] = 0
        o &+= 1
        for byte in method {
            base[o] = byte &- 0x61 < 26 ? byte &- 0x20 : byte
            o &+= 1
        }
        base[o] = 0
        o &+= 1
        copyPath(path, to: base + o)
        o &+= path.count
        base[o] = 0
        o &+= 1
        SodiumSHA256.writeHex(of: bodyDigest, into: base + o)
        return (start, o &+ 64)
    }
}

extension RequestSigning {
    /// Copies the path's bytes to `target`, eight at a time, the last eight (if there are as
    /// many) read and written where they end, overlapping the word before: a heartbeat's path
    /// (15 bytes) is two words, where `update(from:count:)` called `memmove` (about 30
    /// instructions and a call through the PLT, on both sides of every request). Nothing is
    /// read outside the path or written outside its bytes at `target`.
    @inline(__always)
    static func copyPath(_ path: UnsafeBufferPointer<UInt8>, to target: UnsafeMutablePointer<UInt8>) {
        guard let source = path.baseAddress else { return }
        let count = path.count
        if count >= 8 {
            copyWords(from: UnsafeRawPointer(source), count: count, to: UnsafeMutableRawPointer(target))
        } else {
            for i in 0..<count { target[i] = source[i] }
        }
    }

    /// Copies `count` (8 or more) bytes eight at a time, the last word read and written where
    /// the bytes end (overlapping the one before): no call to `memmove`. Shared by `copyPath`
    /// and the stand-in signature memo (`StandInSignatureMemo.record`).
    @inline(__always)
    static func copyWords(from source: UnsafeRawPointer, count: Int, to target: UnsafeMutableRawPointer) {
        var i = 0
        while i &+ 8 < count {
            target.storeBytes(of: source.loadUnaligned(fromByteOffset: i, as: UInt64.self), toByteOffset: i, as: UInt64.self)
            i &+= 8
        }
        target.storeBytes(
            of: source.loadUnaligned(fromByteOffset: count &- 8, as: UInt64.self), toByteOffset: count &- 8, as: UInt64.self)
    }
}

/// `body` of `text`'s UTF-8, in place: a native string's (every string on Linux) without a copy
/// or a retain; any other made contiguous in a copy first.
@inline(__always)
func withUTF8Bytes<R>(of text: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
    if let result = text.utf8.withContiguousStorageIfAvailable(body) { return result }
    return copiedUTF8(of: text, body)
}

/// The three authentication headers of a request, parsed.
///
/// Plain inline bytes (104 of them, no reference): a node's signer returns one per request and
/// the verifier parses one, and neither copying nor dropping it touches a reference count. (It
/// used to carry the signer's spelling of its key, a `String`, which made every copy and
/// destruction go through outlined retain/release code; the node agent spells its key from
/// `RequestSigner.publicKeyBase64` itself.)
public struct SignedHeaders: Hashable, Sendable {
    public var key: PublicKey
    public var signature: Signature
    public var timestamp: Int64

    public init(key: PublicKey, signature: Signature, timestamp: Int64) {
        self.key = key
        self.signature = signature
        self.timestamp = timestamp
    }

    /// Parses the headers (names case-insensitively; surrounding spaces/tabs of values are
    /// ignored as HTTP optional whitespace). Unrelated headers are ignored.
    ///
    /// If a name appears several times (`x-node-key` and `X-Node-Key`) with different values,
    /// the header is rejected as malformed: which one a verifier would pick is arbitrary.
    public init(headers: APIHeaders) throws(SignatureError) {
        let fields: [APIHeaders.Field]
        switch headers.storage {
        case .nodeSigned(let text):
            // A node's headers as it made them: exactly the three names, each once, so the
            // case-insensitive scan below would find just these values. They are decoded
            // from the buffer's bytes in place, by the same decoders.
            self = try Self.decode(text)
            return
        case .fields(let list):
            fields = list
        }
        if let order = Self.nodeSpelledOrder(fields) {
            self = try Self.decode(
                key: fields[order.key].value, signature: fields[order.signature].value,
                timestamp: fields[order.timestamp].value)
            return
        }
        let rawKey = try Self.lookup(RequestSigning.keyHeader, in: headers, conflict: .malformedKey)
        let rawSignature = try Self.lookup(RequestSigning.signatureHeader, in: headers, conflict: .malformedSignature)
        let rawTimestamp = try Self.lookup(RequestSigning.timestampHeader, in: headers, conflict: .malformedTimestamp)
        if rawKey == nil && rawSignature == nil && rawTimestamp == nil { throw .unsigned }
        guard let rawKey else { throw .missingHeader(RequestSigning.keyHeader) }
        guard let rawSignature else { throw .missingHeader(RequestSigning.signatureHeader) }
        guard let rawTimestamp else { throw .missingHeader(RequestSigning.timestampHeader) }
        self = try Self.decode(key: rawKey, signature: rawSignature, timestamp: rawTimestamp)
    }

    /// Where the key, signature and timestamp fields are if `headers` holds exactly the three
    /// names as a node spells them (the common case); nil otherwise. Then no other spelling can
    /// be present, so the case-insensitive scan would find just these; and which field comes
    /// first cannot matter, since three fields holding all three names hold each once. The
    /// caller decodes the values where they are (no `String` copied out, and no `Result` of
    /// the parse built and taken apart).
    private static func nodeSpelledOrder(_ fields: [APIHeaders.Field]) -> (key: Int, signature: Int, timestamp: Int)? {
        fields.withUnsafeBufferPointer { fields -> (key: Int, signature: Int, timestamp: Int)? in
            guard fields.count == 3 else { return nil }
            var key = -1, signature = -1, timestamp = -1
            for i in 0..<3 {
                if fields[i].name == RequestSigning.keyHeader {
                    key = i
                } else if fields[i].name == RequestSigning.signatureHeader {
                    signature = i
                } else if fields[i].name == RequestSigning.timestampHeader {
                    timestamp = i
                } else {
                    return nil
                }
            }
            guard key >= 0, signature >= 0, timestamp >= 0 else { return nil }
            return (key, signature, timestamp)
        }
    }

    /// The three values decoded, in the order key, signature, timestamp (so the first bad one
    /// names the error). Each is read from its UTF-8 in place, its optional whitespace trimmed
    /// off the bytes (`trim`): no `String` is built (trimming a value that was already
    /// trimmed, as `lookup`'s are, changes nothing).
    private static func decode(key: String, signature: String, timestamp: String) throws(SignatureError) -> SignedHeaders {
        guard let key = withUTF8Bytes(of: key, { Base64.decode32(utf8: trim($0)) }) else { throw .malformedKey }
        guard let signature = withUTF8Bytes(of: signature, { Base64.decode64(utf8: trim($0)) }) else { throw .malformedSignature }
        guard let timestamp = withUTF8Bytes(of: timestamp, { parseTimestamp(trim($0)) }) else { throw .malformedTimestamp }
        return SignedHeaders(key: PublicKey(storage: key), signature: Signature(storage: signature), timestamp: timestamp)
    }

    /// `decode` of a node's header text (`NodeSignedHeaderText`): the same checks in the same
    /// order, on the key's string and the buffer's bytes read in place. One pass over the
    /// buffer (`withValueTexts`), each value decoded straight into its place, the first bad one
    /// named by a number: no optional of each value made and copied out (about 180
    /// instructions a request fewer than a closure and an optional per value).
    private static func decode(_ text: NodeSignedHeaderText) throws(SignatureError) -> SignedHeaders {
        var key = Bytes32(), signature = Bytes64(), timestamp: Int64 = 0
        let firstBad = text.withValueTexts { keyText, signatureText, timestampText -> Int in
            guard Base64.decode(utf8: trim(keyText), into: &key) else { return 1 }
            guard Base64.decode(utf8: trim(signatureText), into: &signature) else { return 2 }
            guard let value = parseTimestamp(trim(timestampText)) else { return 3 }
            timestamp = value
            return 0
        }
        switch firstBad {
        case 0: return SignedHeaders(key: PublicKey(storage: key), signature: Signature(storage: signature), timestamp: timestamp)
        case 1: throw .malformedKey
        case 2: throw .malformedSignature
        default: throw .malformedTimestamp
        }
    }

    /// The headers to send, always in the order key, signature, timestamp.
    public var headers: [(String, String)] {
        [
            (RequestSigning.keyHeader, key.base64),
            (RequestSigning.signatureHeader, signature.base64),
            (RequestSigning.timestampHeader, String(timestamp)),
        ]
    }

    private static func lookup(
        _ name: String, in headers: APIHeaders, conflict: SignatureError
    ) throws(SignatureError) -> String? {
        var found: String?
        for (headerName, value) in headers where APIHeaders.asciiCaseInsensitiveEqual(headerName, name) {
            let trimmed = trimOptionalWhitespace(value)
            // Order-independent: the result is the same whichever spelling comes first.
            if let found, found != trimmed { throw conflict }
            found = trimmed
        }
        return found
    }

    /// The value of eight decimal digits given as their bytes in memory order (the first digit
    /// in the low byte), nil unless every byte is "0"..."9". The check: every byte's high nibble
    /// is 3 (0x30...0x3F), and adding 6 to each leaves it 3 (0x30...0x39; no carry crosses a
    /// byte once every byte is below 0x40). The digits are then combined in pairs, fours and
    /// eights by three multiply-adds (SWAR).
    @inline(__always)
    static func eightDigits(_ word: UInt64) -> UInt64? {
        let threes: UInt64 = 0x3030_3030_3030_3030, highNibbles: UInt64 = 0xF0F0_F0F0_F0F0_F0F0
        guard word & highNibbles == threes, (word &+ 0x0606_0606_0606_0606) & highNibbles == threes else { return nil }
        var d = word &- threes
        d = (d &* 10 &+ (d >> 8)) & 0x00FF_00FF_00FF_00FF  // each pair: first digit · 10 + second
        d = (d &* 100 &+ (d >> 16)) & 0x0000_FFFF_0000_FFFF  // each four
        return (d &* 10_000 &+ (d >> 32)) & 0xFFFF_FFFF  // all eight
    }

    /// Only canonical decimal: digits, no sign, no leading zeros, fits `Int64`. The signed
    /// message re-renders the parsed value, so any other spelling would be a different message.
    private static func parseTimestamp(_ utf8: UnsafeBufferPointer<UInt8>) -> Int64? {
        guard let first = utf8.first, utf8.count == 1 || first != 0x30 else { return nil }
        // Up to 18 digits cannot overflow (10^18 - 1 < Int64.max): no check per digit, only
        // whether each byte is a digit (a byte below "0" wraps to a large value).
        if utf8.count <= 18 {
            // Eight digits per load while eight remain (a heartbeat's ten-digit timestamp: one
            // load and two single digits), the rest one at a time.
            let base = UnsafeRawPointer(utf8.baseAddress!)
            var value: UInt64 = 0
            var notDigit = false
            var i = 0
            while i &+ 8 <= utf8.count {
                guard let eight = Self.eightDigits(UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt64.self))) else {
                    return nil
                }
                value = value &* 100_000_000 &+ eight
                i &+= 8
            }
            while i < utf8.count {
                let digit = utf8[i] &- 0x30
                notDigit = notDigit || digit > 9
                value = value &* 10 &+ UInt64(digit)
                i &+= 1
            }
            return notDigit ? nil : Int64(truncatingIfNeeded: value)
        }
        var value: Int64 = 0
        for byte in utf8 {
            guard (0x30...0x39).contains(byte) else { return nil }
            let (shifted, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = shifted.addingReportingOverflow(Int64(byte &- 0x30))
            guard !o1, !o2 else { return nil }
            value = sum
        }
        return value
    }

    private static func trimOptionalWhitespace(_ text: String) -> String {
        withUTF8Bytes(of: text) { String(decoding: trim($0), as: UTF8.self) }
    }

    /// The bytes without their leading and trailing spaces and tabs (HTTP optional whitespace).
    @inline(__always)
    private static func trim(_ utf8: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        var start = 0, end = utf8.count
        while start < end, utf8[start] == 0x20 || utf8[start] == 0x09 { start += 1 }
        while end > start, utf8[end - 1] == 0x20 || utf8[end - 1] == 0x09 { end -= 1 }
        return UnsafeBufferPointer(rebasing: utf8[start..<end])
    }
}

/// Signs outgoing node requests.
///
/// The stand-in scheme's signer is kept as its secret, inline (`Key.standIn`), and signed with
/// directly: as an `any Signer` it lived in a heap box of its own (64 bytes do not fit an
/// existential's inline buffer), and at N = 10,000 loading the secret from that box was a
/// cache miss on every request (`perf`: 1.75 % of the fleet run in the witness that did only
/// that). Every other signer (Ed25519, production's and the catalogue's) is called through the
/// protocol as before. Both sign exactly the same bytes (`RequestSignerTests`).
public struct RequestSigner: Sendable {
    /// How requests are signed: the stand-in's secret inline, or any signer (behind a
    /// reference, so that the enum is 33 bytes and copying it is a copy and at most a retain,
    /// not the existential's value-witness copy).
    private enum Key: Sendable {
        case standIn(secret: Bytes32)
        case other(OtherSigner)
    }

    private final class OtherSigner: Sendable {
        let signer: any Signer
        init(_ signer: any Signer) { self.signer = signer }
    }

    private let key: Key
    /// The signer's public key and its `X-Node-Key` spelling, computed once (the node agent
    /// reads them here rather than keeping copies).
    public let publicKey: PublicKey
    public let hasher: any SHA256Hashing
    /// The text buffer of the last headers `signedHeaders` made: reused for the next request
    /// when no earlier request holds it any more. Its head keeps the key's spelling.
    private var headerText: NodeSignedHeaderText
    /// `publicKey` in base64 (the `X-Node-Key` value), spelled once: kept by the header buffer
    /// (a second reference here was 16 bytes more per node).
    public var publicKeyBase64: String { headerText.key }
    /// The stand-in scheme's registry, whose memo records each signature `key` makes
    /// (`StandInSignatureMemo`). Here rather than in `Key.standIn`, and handed to the record
    /// unretained: held in the enum, each of the two copies of the key per request retained and
    /// released it. Last, so that no field a heartbeat reads before it moves.
    private let registry: StandInSignatureScheme.Registry?

    /// The signer this was made with (a stand-in signer is rebuilt from its secret).
    public var signer: any Signer {
        switch key {
        case .standIn(let secret): return StandInSigner(publicKey: publicKey, secret: secret, registry: registry)
        case .other(let other): return other.signer
        }
    }

    public init(signer: any Signer, hasher: any SHA256Hashing) {
        if let standIn = signer as? StandInSigner {
            self.key = .standIn(secret: standIn.secret)
            self.registry = standIn.registry
        } else {
            self.key = .other(OtherSigner(signer))
            self.registry = nil
        }
        self.hasher = hasher
        self.publicKey = signer.publicKey
        self.headerText = NodeSignedHeaderText(key: signer.publicKey.base64)
    }

    /// The three signature headers of a request sent at `unixSeconds`, as the node sends them:
    /// exactly the fields of `sign(...)`'s `SignedHeaders.headers`, in that order, their values'
    /// text written into this signer's buffer (`NodeSignedHeaderText`) when no earlier request
    /// still holds it, else into a new one. A heartbeat's headers thus allocate nothing.
    public mutating func signedHeaders(method: String, path: String, body: [UInt8], unixSeconds: Int64) -> APIHeaders {
        headers(for: sign(method: method, path: path, body: body, unixSeconds: unixSeconds))
    }

    /// `signedHeaders` with the body's digest given (the typed wire).
    public mutating func signedHeaders(method: String, path: String, bodyDigest: Digest32, unixSeconds: Int64) -> APIHeaders {
        headers(for: sign(method: method, path: path, bodyDigest: bodyDigest, unixSeconds: unixSeconds))
    }

    /// `signed`'s signature and timestamp as headers in this signer's buffer (see
    /// `signedHeaders`). `signed.key` must be this signer's key (its spelling is the buffer's).
    mutating func headers(for signed: SignedHeaders) -> APIHeaders {
        // A timestamp too long for the buffer (more than 15 characters: only tests sign those) goes as the list of three fields, spelled alike.
        guard NodeSignedHeaderText.holds(timestamp: signed.timestamp) else {
            return APIHeaders(fields: [
                .init(name: RequestSigning.keyHeader, value: publicKeyBase64),
                .init(name: RequestSigning.signatureHeader, value: signed.signature.base64),
                .init(name: RequestSigning.timestampHeader, value: String(signed.timestamp)),
            ])
        }
        // The headers take their reference (an atomic increment of the buffer's count) before
        // the text is written: right after the uniqueness check has loaded that count, and
        // before the text's stores, which wait for the buffer's other lines (at 10,000 nodes
        // it is cold), are queued ahead of the locked increment, which would wait for them.
        // No one else reads the buffer before `headers` is returned.
        headerText.makeUnique()
        let headers = APIHeaders(nodeSigned: headerText)
        headerText.writeText(signature: signed.signature, timestamp: signed.timestamp)
        return headers
    }

    /// Asks for the cache lines of the header buffer `signedHeaders` will write (at 10,000
    /// nodes it is cold on every request): its reference count and head, then the text. Only
    /// ever prefetched, never read through, so it changes nothing but timing.
    @inline(__always)
    func prefetchHeaderText() {
        let start = UnsafeRawPointer(Unmanaged.passUnretained(headerText.buffer).toOpaque())
        cprefetch_read(start)
        cprefetch_read(start + 64)
        cprefetch_read(start + 128)
    }

    /// Headers for a request sent at `unixSeconds` (the caller's clock, injected).
    public func sign(method: String, path: String, body: [UInt8], unixSeconds: Int64) -> SignedHeaders {
        sign(method: method, path: path, bodyDigest: hasher.sha256(body), unixSeconds: unixSeconds)
    }

    /// `sign` with the body's digest given (the simulation's typed wire, `WireRequest.digest`).
    public func sign(method: String, path: String, bodyDigest: Digest32, unixSeconds: Int64) -> SignedHeaders {
        // The key is taken apart before the message is built: a closure switching over it
        // copied the whole enum (an outlined value-witness copy) on every request.
        let signature: Signature
        switch key {
        case .standIn(let secret):
            let memo = registry.map { Unmanaged.passUnretained($0) }
            signature = RequestSigning.withMessage(timestamp: unixSeconds, method: method, path: path, bodyDigest: bodyDigest) {
                StandInSigner.signature(secret: secret, message: $0, recordingIn: memo)
            }
        case .other(let other):
            signature = RequestSigning.withMessage(timestamp: unixSeconds, method: method, path: path, bodyDigest: bodyDigest) {
                other.signer.sign(raw: $0)
            }
        }
        return SignedHeaders(key: publicKey, signature: signature, timestamp: unixSeconds)
    }
}

/// A request whose headers parsed, whose timestamp is inside the window and whose signature
/// verifies. Not yet checked: replay and node registration (the handler's job).
public struct VerifiedRequest: Hashable, Sendable {
    public var publicKey: PublicKey
    public var timestamp: Int64
    public var signature: Signature
    /// Last second at which this request would still pass the window check (`timestamp +
    /// window`); a replay guard must remember the signature at least until then.
    public var replayExpiry: Int64

    public init(publicKey: PublicKey, timestamp: Int64, signature: Signature, replayExpiry: Int64) {
        self.publicKey = publicKey
        self.timestamp = timestamp
        self.signature = signature
        self.replayExpiry = replayExpiry
    }
}

/// Verifies incoming node requests.
public struct RequestVerifier: Sendable {
    public let scheme: any SignatureScheme
    public let hasher: any SHA256Hashing
    /// Accepted |ts − now| in seconds (inclusive).
    public let window: Int64

    public init(scheme: any SignatureScheme, hasher: any SHA256Hashing, window: Int64 = RequestSigning.defaultWindow) {
        precondition(window >= 0, "signature window must be non-negative")
        self.scheme = scheme
        self.hasher = hasher
        self.window = window
    }

    /// Checks, in order: header presence and syntax, the timestamp window (cheap, before any
    /// cryptography), then the signature over the reconstructed message.
    public func verify(
        headers: APIHeaders, method: String, path: String, body: [UInt8], nowUnixSeconds: Int64
    ) throws(SignatureError) -> VerifiedRequest {
        try verify(headers: headers, method: method, path: path, nowUnixSeconds: nowUnixSeconds) { hasher.sha256(body) }
    }

    /// `verify` with the body's digest given (the simulation's typed wire, `WireRequest.digest`).
    public func verify(
        headers: APIHeaders, method: String, path: String, bodyDigest: Digest32, nowUnixSeconds: Int64
    ) throws(SignatureError) -> VerifiedRequest {
        try verify(headers: headers, method: method, path: path, nowUnixSeconds: nowUnixSeconds) { bodyDigest }
    }

    /// `verify` of headers parsed already (`SignedHeaders(headers:)`, which throws what
    /// `verify(headers:…)` would for them): the handlers parse first, so that the store can be
    /// told what the request will look up (`JobStore.prepareToAuthenticate`).
    public func verify(
        signed: SignedHeaders, method: String, path: String, body: [UInt8], nowUnixSeconds: Int64
    ) throws(SignatureError) -> VerifiedRequest {
        try verify(signed: signed, method: method, path: path, nowUnixSeconds: nowUnixSeconds) { hasher.sha256(body) }
    }

    /// `verify(signed:…)` with the body's digest given (the typed wire).
    public func verify(
        signed: SignedHeaders, method: String, path: String, bodyDigest: Digest32, nowUnixSeconds: Int64
    ) throws(SignatureError) -> VerifiedRequest {
        try verify(signed: signed, method: method, path: path, nowUnixSeconds: nowUnixSeconds) { bodyDigest }
    }

    private func verify(
        headers: APIHeaders, method: String, path: String, nowUnixSeconds: Int64, bodyDigest: () -> Digest32
    ) throws(SignatureError) -> VerifiedRequest {
        try verify(signed: SignedHeaders(headers: headers), method: method, path: path, nowUnixSeconds: nowUnixSeconds, bodyDigest: bodyDigest)
    }

    /// The body's digest is asked for only once the headers and the window passed.
    @inline(__always)
    private func verify(
        signed: SignedHeaders, method: String, path: String, nowUnixSeconds: Int64, bodyDigest: () -> Digest32
    ) throws(SignatureError) -> VerifiedRequest {
        // The scheme may start loading what it will need for this key (the stand-in's secret)
        // while the window is checked and the message built.
        scheme.prepareToVerify(publicKey: signed.key)
        let (skew, overflow) = signed.timestamp.subtractingReportingOverflow(nowUnixSeconds)
        if overflow {
            throw .outsideWindow(skewSeconds: nowUnixSeconds < 0 ? .max : .min)
        }
        guard skew.magnitude <= window.magnitude else { throw .outsideWindow(skewSeconds: skew) }
        let verifies = RequestSigning.withMessage(timestamp: signed.timestamp, method: method, path: path, bodyDigest: bodyDigest()) {
            scheme.verify(signed.signature, raw: $0, publicKey: signed.key)
        }
        guard verifies else { throw .badSignature }
        let (expiry, expiryOverflow) = signed.timestamp.addingReportingOverflow(window)
        return VerifiedRequest(
            publicKey: signed.key, timestamp: signed.timestamp, signature: signed.signature,
            replayExpiry: expiryOverflow ? .max : expiry)
    }
}
