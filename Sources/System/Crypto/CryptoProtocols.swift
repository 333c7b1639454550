/// Crypto vocabulary of the job system.
///
/// The reference implementation never calls a hash function or a signature primitive directly:
/// it is handed a `SHA256Hashing` and a `SignatureScheme`. Production and the simulation both
/// inject the libsodium-backed ones (`SodiumSHA256`, `Ed25519`) so that simulated nodes hash and
/// sign exactly the bytes real nodes do; very large simulated fleets may inject the cheap,
/// insecure `StandInSignatureScheme` instead.

/// A 32-byte SHA-256 digest, held inline (`Bytes32`: no heap buffer, no reference count).
///
/// Ordered by its bytes (lexicographically, unsigned), which is also the order of `hex`, so that
/// collections of digests can be sorted deterministically.
public struct Digest32: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The 32 digest bytes, inline.
    public let storage: Bytes32

    /// The 32 digest bytes as an array (a copy: hot paths use `storage` or `withUnsafeBytes`).
    public var bytes: [UInt8] { storage.array }

    /// Wraps the inline bytes.
    @inlinable public init(storage: Bytes32) { self.storage = storage }

    /// Wraps exactly 32 bytes; `nil` for any other length so a truncated digest cannot exist.
    public init?(bytes: [UInt8]) {
        guard let storage = Bytes32(bytes) else { return nil }
        self.storage = storage
    }

    /// Parses 64 hex digits (either case); `nil` otherwise.
    public init?(hex: String) {
        guard let storage = Hex.decode32(hex) else { return nil }
        self.storage = storage
    }

    /// The 32 bytes, in order, for the duration of `body`.
    @inlinable public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try storage.withUnsafeBytes(body)
    }

    /// Lowercase hex, 64 characters: the spelling used on the wire and in the database.
    public var hex: String { storage.withUnsafeBytes { Hex.encode(raw: $0) } }

    public var description: String { hex }

    @inlinable public static func < (lhs: Digest32, rhs: Digest32) -> Bool { lhs.storage < rhs.storage }
}

/// Computes SHA-256. Injected so the reference implementation stays testable and so that the
/// simulation uses the same primitive as production.
public protocol SHA256Hashing: Sendable {
    func sha256(_ data: [UInt8]) -> Digest32
}

/// A 32-byte signature public key (an Ed25519 public key under the default scheme), held
/// inline (`Bytes32`): the key of the store's node table and of every signed request.
///
/// Ordered by its bytes so node sets keyed by public key can be iterated in a stable order.
public struct PublicKey: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The 32 key bytes, inline.
    public let storage: Bytes32

    /// The 32 key bytes as an array (a copy: hot paths use `storage` or `withUnsafeBytes`).
    public var bytes: [UInt8] { storage.array }

    /// Wraps the inline bytes.
    @inlinable public init(storage: Bytes32) { self.storage = storage }

    /// Wraps exactly 32 bytes; `nil` for any other length.
    public init?(bytes: [UInt8]) {
        guard let storage = Bytes32(bytes) else { return nil }
        self.storage = storage
    }

    /// Strictly decodes standard, padded base64 of exactly 32 bytes (the `X-Node-Key` spelling).
    public init?(base64: String) {
        guard let storage = Base64.decode32(base64) else { return nil }
        self.storage = storage
    }

    /// The 32 bytes, in order, for the duration of `body`.
    @inlinable public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try storage.withUnsafeBytes(body)
    }

    /// Standard base64 with padding (44 characters).
    public var base64: String { storage.withUnsafeBytes { Base64.encode(raw: $0) } }

    public var description: String { base64 }

    @inlinable public static func < (lhs: PublicKey, rhs: PublicKey) -> Bool { lhs.storage < rhs.storage }
}

/// A 64-byte detached signature (an Ed25519 signature under the default scheme), held inline
/// (`Bytes64`): the key of the replay cache.
public struct Signature: Hashable, Sendable, CustomStringConvertible {
    /// The 64 signature bytes, inline.
    public let storage: Bytes64

    /// The 64 signature bytes as an array (a copy: hot paths use `storage` or `withUnsafeBytes`).
    public var bytes: [UInt8] { storage.array }

    /// Wraps the inline bytes.
    @inlinable public init(storage: Bytes64) { self.storage = storage }

    /// Wraps exactly 64 bytes; `nil` for any other length.
    public init?(bytes: [UInt8]) {
        guard let storage = Bytes64(bytes) else { return nil }
        self.storage = storage
    }

    /// Strictly decodes standard, padded base64 of exactly 64 bytes (the `X-Node-Sig` spelling).
    public init?(base64: String) {
        guard let storage = Base64.decode64(base64) else { return nil }
        self.storage = storage
    }

    /// The 64 bytes, in order, for the duration of `body`.
    @inlinable public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try storage.withUnsafeBytes(body)
    }

    /// Standard base64 with padding (88 characters).
    public var base64: String { storage.withUnsafeBytes { Base64.encode(raw: $0) } }

    public var description: String { base64 }
}

/// Holds one private key and signs with it. The private key never leaves the signer, so code
/// that only needs to sign is never handed key material.
public protocol Signer: Sendable {
    var publicKey: PublicKey { get }
    func sign(_ message: [UInt8]) -> Signature
    /// `sign` of the bytes in `message`: the signed request's message is built in a temporary
    /// buffer (`RequestSigning.withMessage`), never an array. Defaults to copying into one.
    func sign(raw message: UnsafeRawBufferPointer) -> Signature
}

extension Signer {
    public func sign(raw message: UnsafeRawBufferPointer) -> Signature { sign(Array(message)) }
}

/// A signature scheme: derives signers from seeds and verifies detached signatures.
///
/// Keys are derived from a 32-byte seed (rather than drawn from the OS) so that the simulation
/// can derive every node's key from its seeded randomness and replay runs bit for bit.
public protocol SignatureScheme: Sendable {
    /// - Precondition: `seed.count == 32`.
    func makeSigner(seed: [UInt8]) -> any Signer
    func verify(_ signature: Signature, message: [UInt8], publicKey: PublicKey) -> Bool
    /// `verify` of the bytes in `message` (see `Signer.sign(raw:)`). Defaults to copying.
    func verify(_ signature: Signature, raw message: UnsafeRawBufferPointer, publicKey: PublicKey) -> Bool
    /// A hint that a signature under `publicKey` is about to be verified, given as soon as the
    /// key is known (`RequestVerifier` gives it before checking the window and building the
    /// message): a scheme that looks something up per key may start loading it. Changes no
    /// answer. Defaults to nothing.
    func prepareToVerify(publicKey: PublicKey)
}

extension SignatureScheme {
    public func verify(_ signature: Signature, raw message: UnsafeRawBufferPointer, publicKey: PublicKey) -> Bool {
        verify(signature, message: Array(message), publicKey: publicKey)
    }

    public func prepareToVerify(publicKey: PublicKey) {}
}
