/// The values of a node's three signature headers (`X-Node-Key`, `X-Node-Sig`, `X-Node-Ts`)
/// as text, in one buffer the node owns and rewrites for each request it signs.
///
/// Why: a signed request used to carry its headers as an array of three `String` fields, and
/// the signature's 88 characters of base64 made a `String` of their own (an allocation and a
/// UTF-8 validation of bytes the encoder had just written as ASCII): two allocations per request
/// on the node's side, two frees on the server's. Here the signature's and timestamp's text are
/// written into this buffer, which `APIHeaders` carries by reference (`APIHeaders(nodeSigned:)`);
/// the key's text is the node's own `X-Node-Key` spelling (`RequestSigner.publicKeyBase64`),
/// kept as a `String` because the simulation's observer looks heartbeats up by it.
///
/// Copy-on-write by hand: the node rewrites the buffer only while it holds the only reference
/// (`RequestSigner.signedHeaders`), which is the case once the server has dropped the
/// previous request. A request still alive (in flight, held by a partition, kept by a replay
/// attack or a test) keeps its text: the node then starts a new buffer, so no request's headers
/// ever change after they were made.
///
/// What crosses the wire is the same text the fields spelled: the server parses it with the
/// same strict decoders (`SignedHeaders(headers:)`), and anything that asks for a value as a
/// `String` (the HTTP client, iteration, equality) gets exactly the `String` the node used to
/// send.
///
/// A struct around the buffer (a `ManagedBuffer`: the head and the text in one heap object), so
/// that the value carries its own copy-on-write rule: `write` is `mutating` and writes in place
/// only through the one reference (`isUnique`), which is what makes sharing it across tasks
/// sound (hence `@unchecked Sendable`).
public struct NodeSignedHeaderText: @unchecked Sendable {
    final class Buffer: ManagedBuffer<NodeSignedHeaderTextHead, UInt8> {}

    private(set) var buffer: Buffer

    /// Bytes of `X-Node-Sig`'s value: the padded base64 of a 64-byte signature.
    static let signatureCount = 88
    /// Where the timestamp's length (one byte) and then the room for its text are.
    static let timestampCountOffset = 88
    static let timestampOffset = 89
    /// Room for a timestamp of up to 15 characters (`holds(timestamp:)`: about 3 million years
    /// before 1970 and 31 million after): the buffer is then 136 bytes with its object header and head, a
    /// 144-byte heap block, one per node (room for any `Int64`, 20 characters, made it a
    /// 160-byte block: 160 kB more at 10,000 nodes).
    static let timestampRoom = 15
    /// Where the timestamp's text ends: it is written from its last digit backwards, so it
    /// ends at the room's end and starts `count` bytes before (`timestampStart`).
    static let timestampEnd = timestampOffset + timestampRoom

    /// Where a timestamp text of `count` bytes starts.
    @inline(__always)
    static func timestampStart(count: UInt8) -> Int { timestampEnd &- Int(count) }

    /// Whether `timestamp`'s decimal fits the buffer (else the signer sends the headers as a
    /// list, `RequestSigner.headers(for:)`).
    @inline(__always)
    static func holds(timestamp: Int64) -> Bool {
        timestamp > -100_000_000_000_000 && timestamp < 1_000_000_000_000_000
    }

    /// A buffer for the node whose key is spelled `key`, holding the signature of all zero
    /// bytes at timestamp 0 until `write` is called.
    public init(key: String) {
        self.init(unwritten: key)
        write(signature: Signature(storage: Bytes64()), timestamp: 0)
    }

    /// A new buffer for `key` whose text is not written yet (`write` comes next).
    private init(unwritten key: String) {
        let buffer = Buffer.create(minimumCapacity: Self.timestampOffset + Self.timestampRoom) { _ in
            NodeSignedHeaderTextHead(key: key)
        }
        self.buffer = unsafeDowncast(buffer, to: Buffer.self)
    }

    /// Whether this is the only reference to the buffer (then `write` changes no one else's
    /// headers).
    @inline(__always)
    mutating func isUnique() -> Bool { isKnownUniquelyReferenced(&buffer) }

    /// Whether `a` and `b` are the same buffer.
    static func === (a: NodeSignedHeaderText, b: NodeSignedHeaderText) -> Bool { a.buffer === b.buffer }

    /// `X-Node-Key`'s value.
    /// (Read through the head's pointer: `ManagedBuffer.header` is a stored class property,
    /// whose every read went through a dynamic exclusivity check, `swift_beginAccess`.)
    public var key: String { buffer.withUnsafeMutablePointerToHeader { $0.pointee.key } }

    /// Writes the text of `signature` and `timestamp` (`holds(timestamp:)`): in place if this is
    /// the only reference to the buffer, else into a new buffer for the same key, so that headers
    /// already handed out (a request still alive) never change.
    mutating func write(signature: Signature, timestamp: Int64) {
        precondition(Self.holds(timestamp: timestamp), "timestamp \(timestamp) does not fit a node's header buffer")
        makeUnique()
        writeText(signature: signature, timestamp: timestamp)
    }

    /// Makes this the only reference to its buffer: a new buffer for the same key if another
    /// reference (a request still alive) holds the current one.
    @inline(__always)
    mutating func makeUnique() {
        if !isUnique() { self = NodeSignedHeaderText(unwritten: key) }
    }

    /// Writes the text in place. Only for a buffer no one else reads yet: just made unique
    /// (`makeUnique`), at most shared with headers not handed out (`RequestSigner.headers`).
    /// The timestamp must fit (`holds(timestamp:)`): a longer one would overwrite the
    /// signature's text and the count byte, so it stops here (callers check first; one compare).
    @inline(__always)
    func writeText(signature: Signature, timestamp: Int64) {
        precondition(Self.holds(timestamp: timestamp), "timestamp \(timestamp) does not fit a node's header buffer")
        buffer.withUnsafeMutablePointerToElements { bytes in
            let target = UnsafeMutableRawPointer(bytes)
            signature.withUnsafeBytes { _ = Base64.write(raw: $0, to: target) }
            let count = Self.writeDecimal(timestamp, endingAt: target + Self.timestampEnd)
            target.storeBytes(of: UInt8(truncatingIfNeeded: count), toByteOffset: Self.timestampCountOffset, as: UInt8.self)
        }
    }

    /// `X-Node-Key`'s value, as UTF-8 bytes read in place (without a retain of the string, or
    /// of the buffer).
    ///
    /// The key's bytes are asked of the string where it lies in the head, and only a string
    /// without contiguous UTF-8 (none on Linux) goes through `copiedUTF8`, out of line and after
    /// the buffer's closure: with the copy inside the closure (`withUTF8Bytes`), the compiler
    /// retained and released the buffer and the key's storage around the fast path too, four
    /// atomic operations on lines that are cold at 10,000 nodes, on every read of a request's
    /// key (the API server's prefetch note, the server's parse).
    @inline(__always)
    public func withKeyText<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if let result = buffer.withUnsafeMutablePointerToHeader({ $0.pointee.key.utf8.withContiguousStorageIfAvailable(body) }) {
            return result
        }
        return copiedUTF8(of: key, body)
    }

    /// `X-Node-Key`'s UTF-8 bytes where the key's string keeps them (nil for a string without
    /// contiguous UTF-8: none on Linux), found without a retain. Valid while this buffer lives:
    /// the head holds the key's string and never replaces it. For `APIHeaders.withNodeKeyText`,
    /// whose caller's headers keep the buffer alive; with `withKeyText` and the reader's closure
    /// as its body, the compiler retained the buffer and the key around the call.
    ///
    /// Nil for a key of `smallStringCapacity` bytes or fewer: such a string keeps its bytes in
    /// its own value, which `withContiguousStorageIfAvailable` copies to the stack for the call,
    /// so the pointer would not outlive it (a node's key, base64 of 32 bytes, is 44 bytes; the
    /// callers then take `withKeyText`).
    @inline(__always)
    func keyTextInPlace() -> UnsafeBufferPointer<UInt8>? {
        buffer.withUnsafeMutablePointerToHeader { head in
            head.pointee.key.utf8.count > Self.smallStringCapacity
                ? head.pointee.key.utf8.withContiguousStorageIfAvailable { $0 } : nil
        }
    }

    /// The most UTF-8 bytes a Swift small string holds inline (on 64-bit platforms).
    static let smallStringCapacity = 15

    /// `X-Node-Sig`'s value, as UTF-8 bytes read in place.
    @inline(__always)
    public func withSignatureText<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try buffer.withUnsafeMutablePointerToElements { try body(UnsafeBufferPointer(start: $0, count: Self.signatureCount)) }
    }

    /// `X-Node-Ts`'s value, as UTF-8 bytes read in place.
    @inline(__always)
    public func withTimestampText<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try buffer.withUnsafeMutablePointerToElements { bytes in
            let count = bytes[Self.timestampCountOffset]
            return try body(UnsafeBufferPointer(start: bytes + Self.timestampStart(count: count), count: Int(count)))
        }
    }

    /// The three values' UTF-8 bytes read in place, in one call (the server's parse,
    /// `SignedHeaders(headers:)`): the key's (without a copy of the string; its storage is kept
    /// alive by the head for the call) and the buffer's signature and timestamp text.
    /// (The key's bytes as `withKeyText` reads them: no retain on the usual path.)
    @inline(__always)
    func withValueTexts<R>(
        _ body: (_ key: UnsafeBufferPointer<UInt8>, _ signature: UnsafeBufferPointer<UInt8>, _ timestamp: UnsafeBufferPointer<UInt8>) -> R
    ) -> R {
        @inline(__always) func values(_ key: UnsafeBufferPointer<UInt8>, _ bytes: UnsafeMutablePointer<UInt8>) -> R {
            let count = bytes[Self.timestampCountOffset]
            return body(
                key, UnsafeBufferPointer(start: bytes, count: Self.signatureCount),
                UnsafeBufferPointer(start: bytes + Self.timestampStart(count: count), count: Int(count)))
        }
        let inPlace = buffer.withUnsafeMutablePointers { head, bytes in
            head.pointee.key.utf8.withContiguousStorageIfAvailable { values($0, bytes) }
        }
        if let inPlace { return inPlace }
        return copiedUTF8(of: key) { key in buffer.withUnsafeMutablePointerToElements { values(key, $0) } }
    }

    /// The byte count of the three values together (the request's size check).
    var valueBytes: Int {
        buffer.withUnsafeMutablePointers { head, bytes in
            head.pointee.key.utf8.count + Self.signatureCount + Int(bytes[Self.timestampCountOffset])
        }
    }

    /// Where the buffer lies (its object: reference count and head, then the text, a 144-byte
    /// block), for a reader that prefetches it before the server's parse retains and reads it:
    /// the simulation's look-ahead, one event before the store's transaction (at 10,000 nodes
    /// the buffer is cold by then, and the retain in `SignedHeaders.decode` waited on it). Only
    /// an address: no retain, and it keeps nothing alive.
    public var textAddress: UnsafeRawPointer { UnsafeRawPointer(Unmanaged.passUnretained(buffer).toOpaque()) }

    /// Where `X-Node-Key`'s text lies: the key `String`'s UTF-8 bytes, in a heap object of its
    /// own (44 characters: never a small string), whose reference count the server's parse
    /// (`withValueTexts`) touches first; for the same look-ahead, which prefetches it with the
    /// buffer. Only an address, kept nowhere alive.
    public var keyTextAddress: UnsafeRawPointer? { withKeyText { UnsafeRawPointer($0.baseAddress) } }

    /// `X-Node-Sig`'s value as a `String` (for those that ask: HTTP, iteration, tests).
    public var signatureText: String { withSignatureText { String(decoding: $0, as: UTF8.self) } }

    /// `X-Node-Ts`'s value as a `String`.
    public var timestampText: String { withTimestampText { String(decoding: $0, as: UTF8.self) } }

    /// `String(value)`'s bytes written backwards from their last at `end - 1` (room for as many
    /// before `end`); returns their count. Two digits per division by 100 (a multiply), each
    /// pair computed (`digitPair`), straight into place: no table behind a lazy global (a
    /// `swift_once` per request) and no copy from a stack buffer (a `memcpy` call).
    static func writeDecimal(_ value: Int64, endingAt end: UnsafeMutableRawPointer) -> Int {
        var at = 0
        var rest = value.magnitude
        while rest >= 100 {
            let q = rest / 100
            at &-= 2
            end.storeBytes(of: digitPair(UInt16(truncatingIfNeeded: rest &- q &* 100)).littleEndian, toByteOffset: at, as: UInt16.self)
            rest = q
        }
        if rest >= 10 {
            at &-= 2
            end.storeBytes(of: digitPair(UInt16(truncatingIfNeeded: rest)).littleEndian, toByteOffset: at, as: UInt16.self)
        } else {
            at &-= 1
            end.storeBytes(of: UInt8(truncatingIfNeeded: 0x30 &+ rest), toByteOffset: at, as: UInt8.self)
        }
        if value < 0 {
            at &-= 1
            end.storeBytes(of: UInt8(ascii: "-"), toByteOffset: at, as: UInt8.self)
        }
        return 0 &- at
    }

    /// The two decimal digits of `r` (< 100), the first in the low byte.
    @inline(__always)
    private static func digitPair(_ r: UInt16) -> UInt16 {
        let tens: UInt16 = r / 10
        return (0x30 &+ tens) | (0x30 &+ (r &- tens &* 10)) << 8
    }
}

/// `body` of a contiguous copy of `text`'s UTF-8 (a string without contiguous UTF-8 of its own:
/// none on Linux). Out of line, so that the copy's retains stay on this path alone.
@inline(never)
func copiedUTF8<R>(of text: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
    var copy = text
    return copy.withUTF8(body)
}

/// `NodeSignedHeaderText`'s header: the key's spelling (the signature's and the timestamp's
/// text are the elements).
public struct NodeSignedHeaderTextHead {
    let key: String
}
