import CSHA256
import CSodium
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// libsodium-backed primitives: the implementations injected in production and, by default, in
/// the simulation, so that both worlds hash and sign exactly the same bytes.

/// Calls `sodium_init` exactly once per process before the first primitive is used.
///
/// `sodium_init` is itself idempotent and thread-safe; the lazy global merely avoids paying for
/// the call on every hash. It only fails if the OS cannot provide randomness, which none of the
/// primitives used here need (keys come from explicit seeds), but a failure still stops the
/// process because libsodium is then in an unknown state.
private let sodiumReady: Bool = sodium_init() >= 0

@inline(__always)
private func ensureSodium() {
    precondition(sodiumReady, "sodium_init failed")
}

/// Calls `body` with a pointer to `bytes`, never passing a null pointer to C even for an empty
/// array (Swift does not promise a non-null base address for empty buffers).
@inline(__always)
private func withBytes<R>(_ bytes: [UInt8], _ body: (UnsafePointer<UInt8>, Int) -> R) -> R {
    if bytes.isEmpty {
        var dummy: UInt8 = 0
        return withUnsafePointer(to: &dummy) { body($0, 0) }
    }
    return bytes.withUnsafeBufferPointer { body($0.baseAddress!, $0.count) }
}

/// `withBytes` for a raw buffer (whose base address may be nil when it is empty).
@inline(__always)
private func withBytes<R>(_ bytes: UnsafeRawBufferPointer, _ body: (UnsafePointer<UInt8>, Int) -> R) -> R {
    guard let base = bytes.baseAddress, bytes.count > 0 else {
        var dummy: UInt8 = 0
        return withUnsafePointer(to: &dummy) { body($0, 0) }
    }
    return body(base.assumingMemoryBound(to: UInt8.self), bytes.count)
}

/// SHA-256 over the concatenation of `parts`, streamed so that no concatenated copy is made.
private func sodiumSHA256(_ parts: [UInt8]...) -> [UInt8] {
    ensureSodium()
    var state = crypto_hash_sha256_state()
    var out = [UInt8](repeating: 0, count: Int(crypto_hash_sha256_BYTES))
    crypto_hash_sha256_init(&state)
    for part in parts {
        withBytes(part) { pointer, count in
            _ = crypto_hash_sha256_update(&state, pointer, UInt64(count))
        }
    }
    crypto_hash_sha256_final(&state, &out)
    return out
}

/// The SHA-256 every world injects: the CPU's SHA extensions (`CSHA256`) when it has them,
/// libsodium's portable C otherwise. A hash is a hash: both give the same 32 bytes for every
/// input (`SHA256HardwareTests` compares them), so the choice never reaches a digest or trace.
///
/// The choice is made once per process (`implementation`): SHA-NI when this is an x86-64 build
/// whose CPU reports SHA, SSE4.1 and SSSE3 (CPUID), unless the environment variable
/// `SIMHARNESS_SHA256=portable` forces libsodium (for measurement). Valgrind's simulated CPU
/// reports no SHA extensions, so under callgrind the portable path runs by itself.
public struct SodiumSHA256: SHA256Hashing {
    /// Which code computes the digests.
    public enum Implementation: String, Sendable {
        /// x86-64 SHA extensions (`csha256_hw_digest`).
        case hardware
        /// libsodium's `crypto_hash_sha256` (portable C).
        case portable
    }

    /// The implementation this process uses, decided on first use.
    public static let implementation: Implementation = choose(
        forced: getenv("SIMHARNESS_SHA256").map { String(cString: $0) }, hardwareAvailable: hardwareAvailable)

    /// The rule behind `implementation`: `portable` if forced (the variable's value
    /// `portable`), else hardware when available. Any other value of the variable is ignored:
    /// it can never force the hardware path onto a CPU without it.
    static func choose(forced: String?, hardwareAvailable: Bool) -> Implementation {
        if forced == "portable" { return .portable }
        return hardwareAvailable ? .hardware : .portable
    }

    /// Whether the CPU (and this build) has the hardware path, whatever the environment says.
    public static let hardwareAvailable: Bool = csha256_hw_available() != 0

    public init() {}

    public func sha256(_ data: [UInt8]) -> Digest32 {
        if data.count == 2 && data[0] == 0x7B && data[1] == 0x7D { return Self.emptyObjectDigest }
        if Self.implementation == .hardware, let digest = Self.hardware(data) { return digest }
        return Self.portable(data)
    }

    /// SHA-256 of `{}` (`44136fa3…1caaff8a`, what `printf '{}' | sha256sum` prints), answered
    /// without hashing: it is the body of every heartbeat of a signed node computing nothing,
    /// hashed by the node that signs it and again by the server that verifies it, so most of a
    /// fleet's hashing was this one constant. `SHA256Tests` checks it against both
    /// implementations. Four constant lanes (each eight bytes in memory order, hence
    /// `bigEndian:`), not a lazy global: no `swift_once` on each of those calls.
    static var emptyObjectDigest: Digest32 {
        var bytes = Bytes32()
        bytes.lanes = (
            UInt64(bigEndian: 0x4413_6FA3_55B3_678A), UInt64(bigEndian: 0x1146_AD16_F7E8_649E),
            UInt64(bigEndian: 0x94FB_4FC2_1FE7_7E83), UInt64(bigEndian: 0x10C0_60F6_1CAA_FF8A))
        return Digest32(storage: bytes)
    }

    /// Writes the 64 lowercase hex digits of `digest` at `out` (`csha256_hex32_lanes`: SSE2 on
    /// x86-64, the digest's lanes passed in registers), as the signed request message spells
    /// the body's digest (`RequestSigning.withMessage`): the same characters as `Digest32.hex`.
    @inline(__always)
    static func writeHex(of digest: Digest32, into out: UnsafeMutablePointer<UInt8>) {
        let lanes = digest.storage.lanes
        csha256_hex32_lanes(lanes.0, lanes.1, lanes.2, lanes.3, out)
    }

    /// libsodium's SHA-256, whatever `implementation` says.
    static func portable(_ data: [UInt8]) -> Digest32 {
        ensureSodium()
        var out = Bytes32()  // written in place: no array per digest
        out.withUnsafeMutableBytes { raw in
            withBytes(data) { pointer, count in
                _ = crypto_hash_sha256(raw.baseAddress!.assumingMemoryBound(to: UInt8.self), pointer, UInt64(count))
            }
        }
        return Digest32(storage: out)
    }

    /// The SHA extensions' SHA-256; `nil` when this CPU or build has none (it must not be
    /// called then: the instructions would trap).
    static func hardware(_ data: [UInt8]) -> Digest32? {
        guard hardwareAvailable else { return nil }
        var out = Bytes32()
        let written = out.withUnsafeMutableBytes { raw in
            withBytes(data) { pointer, count in
                csha256_hw_digest(pointer, count, raw.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
        }
        return written == 1 ? Digest32(storage: out) : nil
    }
}

/// Ed25519 (libsodium `crypto_sign_*`): the scheme nodes use today, and the default everywhere.
///
/// Keys are derived with `crypto_sign_seed_keypair` from an explicit 32-byte seed so that the
/// simulation can derive node identities from its seeded randomness.
public struct Ed25519: SignatureScheme {
    public init() {}

    public func makeSigner(seed: [UInt8]) -> any Signer {
        Ed25519Signer(seed: seed)
    }

    /// `crypto_sign_verify_detached`, which also rejects non-canonical signatures (S ≥ L) and
    /// small-order keys, so a signature has one accepted byte form — important because replay
    /// protection is keyed on the signature bytes.
    public func verify(_ signature: Signature, message: [UInt8], publicKey: PublicKey) -> Bool {
        message.withUnsafeBytes { verify(signature, raw: $0, publicKey: publicKey) }
    }

    public func verify(_ signature: Signature, raw message: UnsafeRawBufferPointer, publicKey: PublicKey) -> Bool {
        ensureSodium()
        return withBytes(message) { pointer, count in
            signature.withUnsafeBytes { sig in
                publicKey.withUnsafeBytes { key in
                    crypto_sign_verify_detached(
                        sig.baseAddress!.assumingMemoryBound(to: UInt8.self), pointer, UInt64(count),
                        key.baseAddress!.assumingMemoryBound(to: UInt8.self)) == 0
                }
            }
        }
    }
}

/// An Ed25519 private key. A value type holding the 64-byte libsodium secret key (seed ‖ public
/// key); it never exposes it.
public struct Ed25519Signer: Signer {
    public let publicKey: PublicKey
    private let secretKey: [UInt8]

    /// - Precondition: `seed.count == 32` (`crypto_sign_SEEDBYTES`).
    public init(seed: [UInt8]) {
        precondition(seed.count == Int(crypto_sign_SEEDBYTES), "Ed25519 seed must be 32 bytes")
        ensureSodium()
        var pk = [UInt8](repeating: 0, count: Int(crypto_sign_PUBLICKEYBYTES))
        var sk = [UInt8](repeating: 0, count: Int(crypto_sign_SECRETKEYBYTES))
        let status = crypto_sign_seed_keypair(&pk, &sk, seed)
        precondition(status == 0, "crypto_sign_seed_keypair failed")
        self.publicKey = PublicKey(bytes: pk)!
        self.secretKey = sk
    }

    public func sign(_ message: [UInt8]) -> Signature {
        message.withUnsafeBytes { sign(raw: $0) }
    }

    public func sign(raw message: UnsafeRawBufferPointer) -> Signature {
        var signature = Bytes64()  // written in place: no array per signature
        let status = signature.withUnsafeMutableBytes { out in
            withBytes(message) { pointer, count in
                crypto_sign_detached(out.baseAddress!.assumingMemoryBound(to: UInt8.self), nil, pointer, UInt64(count), secretKey)
            }
        }
        precondition(status == 0, "crypto_sign_detached failed")
        return Signature(storage: signature)
    }
}

/// **NOT SECURE.** A cheap, deterministic stand-in for Ed25519, for simulated fleets so large
/// (≈10k nodes, each signing every request) that real Ed25519 would dominate the run time.
///
/// Ed25519 stays the default; inject this only in simulation profiles that ask for it, never in
/// production. Construction:
/// - secret = SHA-256("standin-sk" ‖ seed)
/// - public key = SHA-256("pk" ‖ seed)
/// - signature = a keyed 512-bit mix of the message under the secret (`StandInSigner.signature`:
///   integer multiply–xorshift rounds, not a cryptographic MAC; it used to be two SHA-256, which
///   cost a fleet run more than everything but the body digests)
///
/// Because a public key does not determine the secret, verification looks the secret up in a
/// registry filled by `makeSigner`. That registry belongs to the scheme *instance* (a shared
/// reference), so signers and verifiers must come from the same instance; a signature under a
/// key this instance never issued does not verify. Anyone holding the instance can forge, which
/// is fine for a closed simulation and the reason this must never face a real network.
public struct StandInSignatureScheme: SignatureScheme {
    /// Public key → secret (`StandInSecrets`: no hashing of the key), and the memo of the
    /// signatures this scheme's signers made. A Mutex rather than actor isolation because
    /// `verify` and signing are synchronous; in the single-threaded simulation it is never
    /// contended.
    final class Registry: Sendable {
        /// The secrets and the memo of signatures made (`StandInSignatureMemo`) behind one lock,
        /// so that a verification looks up both in one critical section.
        let state = Mutex(State())
        /// Where the table lies (`StandInSecrets.lines`), published by every `makeSigner` under
        /// the lock, so that `prepareToVerify` prefetches without taking it. Relaxed: a value
        /// read while another thread registers may be the old table's (even freed memory) or
        /// half of each; a prefetch of any address is only a hint (it never faults and changes
        /// no value), so a stale one only misses. In the simulation, single-threaded, it is
        /// always the current table.
        let linesBase = Atomic<UInt>(0)
        let linesCapacity = Atomic<Int>(0)
    }

    /// What `Registry` guards.
    struct State: ~Copyable {
        var secrets = StandInSecrets()
        var memo = StandInSignatureMemo()
    }

    private let registry = Registry()

    public init() {}

    public func makeSigner(seed: [UInt8]) -> any Signer {
        precondition(seed.count == 32, "stand-in seed must be 32 bytes")
        let secret = Bytes32(sodiumSHA256(Array("standin-sk".utf8), seed))!
        let publicKey = PublicKey(bytes: sodiumSHA256(Array("pk".utf8), seed))!
        registry.state.withLock { state in
            state.secrets.set(secret, for: publicKey)
            let lines = state.secrets.lines
            registry.linesBase.store(lines.base, ordering: .relaxed)
            registry.linesCapacity.store(lines.capacity, ordering: .relaxed)
        }
        return StandInSigner(publicKey: publicKey, secret: secret, registry: registry)
    }

    public func verify(_ signature: Signature, message: [UInt8], publicKey: PublicKey) -> Bool {
        message.withUnsafeBytes { verify(signature, raw: $0, publicKey: publicKey) }
    }

    /// Prefetches the registry's slot for `publicKey` (`StandInSecrets.prefetch`): at 10,000
    /// nodes the table is a megabyte, and the lookup in `verify` was a cache miss per request.
    /// Without the lock (the table's place as `makeSigner` last published it): the lock's two
    /// atomic read-modify-writes, each a full barrier on x86, were most of this hint's cost
    /// (`perf` at 10,000 nodes: 0.3-0.6 % of the run, the samples on the two `lock cmpxchg`).
    public func prepareToVerify(publicKey: PublicKey) {
        StandInSecrets.prefetch(
            publicKey, base: registry.linesBase.load(ordering: .relaxed),
            capacity: registry.linesCapacity.load(ordering: .relaxed))
    }

    /// The registry's secret for `publicKey`, then the signature over it: remembered when one of
    /// this scheme's signers has just made it for the same secret and message
    /// (`StandInSignatureMemo`: the same answer as the computation), computed otherwise.
    public func verify(_ signature: Signature, raw message: UnsafeRawBufferPointer, publicKey: PublicKey) -> Bool {
        // The message passed as its place (plain integers: a buffer pointer is not `Sendable`):
        // it is only read under the lock, before `verify` returns.
        let place = StandInSignatureMemo.Place(message)
        let (found, remembered) = registry.state.withLock { state -> (Bytes32?, Bool) in
            guard let secret = state.secrets.secret(for: publicKey) else { return (nil, false) }
            return (secret, state.memo.remembers(signature, secret: secret, message: place.bytes))
        }
        guard let secret = found else { return false }
        if remembered { return true }
        return StandInSigner.signature(secret: secret, message: message) == signature
    }
}

/// Signer of `StandInSignatureScheme`. **NOT SECURE**; see there.
struct StandInSigner: Signer {
    let publicKey: PublicKey
    let secret: Bytes32
    /// The scheme that made this signer, whose memo each signature is recorded in (so that its
    /// verifier need not compute it again); `nil` for a signer made from a bare secret.
    let registry: StandInSignatureScheme.Registry?

    init(publicKey: PublicKey, secret: Bytes32, registry: StandInSignatureScheme.Registry? = nil) {
        self.publicKey = publicKey
        self.secret = secret
        self.registry = registry
    }

    /// The signature of `message`, recorded in the scheme's memo (`StandInSignatureMemo`).
    @inline(__always)
    static func signature(secret: Bytes32, message: UnsafeRawBufferPointer, recordingIn registry: StandInSignatureScheme.Registry?) -> Signature {
        signature(secret: secret, message: message, recordingIn: registry.map { Unmanaged.passUnretained($0) })
    }

    /// `signature(secret:message:recordingIn:)` with the registry unretained (the caller keeps
    /// it alive: `RequestSigner`).
    @inline(__always)
    static func signature(secret: Bytes32, message: UnsafeRawBufferPointer, recordingIn memo: Unmanaged<StandInSignatureScheme.Registry>?) -> Signature {
        let signature = signature(secret: secret, message: message)
        // The message passed as its place: it is only read under the lock, before this returns.
        let place = StandInSignatureMemo.Place(message)
        memo?._withUnsafeGuaranteedRef { $0.state.withLock { $0.memo.record(signature, secret: secret, message: place.bytes) } }
        return signature
    }

    /// A keyed 512-bit mix of the message (64-bit multiply–xorshift rounds over its 8-byte
    /// words, two chained lanes seeded from the secret, then eight SplitMix64 outputs): every
    /// output bit depends on every message bit and on the secret, at a few hundred
    /// instructions for a signed request's message, where the two SHA-256 it replaced cost
    /// thousands. Deterministic on every platform (integer arithmetic, little-endian words).
    static func signature(secret: Bytes32, message raw: UnsafeRawBufferPointer) -> Signature {
        let k = secret.lanes  // the secret's bytes as four little-endian words
        var a = UInt64(littleEndian: k.0) ^ 0x6A09_E667_F3BC_C908
        var b = UInt64(littleEndian: k.1) ^ 0xBB67_AE85_84CA_A73B
        let c = UInt64(littleEndian: k.2), d = UInt64(littleEndian: k.3)
        var word: UInt64 = 0
        var filled = 0
        // Whole little-endian words loaded at once, then the tail byte by byte. Lane `a` is a
        // chain of multiplies, one mix per word, and sets the pace (about 13 cycles a word):
        // each step XORs `a` last, into `w ^ c` computed off the chain (XOR is associative:
        // the same value as `a ^ w ^ c`), and `b`'s step adds `a` last, to `b &+ w`. Two
        // words per turn of the loop, for fewer loop instructions; the same steps in order.
        var offset = 0
        let pairs = raw.count &- 16
        while offset <= pairs {
            let w0 = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            let w1 = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset &+ 8, as: UInt64.self))
            a = mix(a ^ (w0 ^ c))
            b = mix((b &+ w0) &+ a ^ d)
            a = mix(a ^ (w1 ^ c))
            b = mix((b &+ w1) &+ a ^ d)
            offset &+= 16
        }
        if offset &+ 8 <= raw.count {
            let w = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            a = mix(a ^ (w ^ c))
            b = mix((b &+ w) &+ a ^ d)
            offset &+= 8
        }
        while offset < raw.count {
            word |= UInt64(raw[offset]) << UInt64(8 * filled)
            filled += 1
            offset &+= 1
        }
        // The tail, and the length (so messages that differ only by trailing zeros differ).
        a = mix(a ^ (word ^ c ^ (UInt64(filled) << 56)))
        b = mix((b &+ UInt64(raw.count)) &+ a ^ d)
        var out = Bytes64()  // written in place: no array per signature
        var state = a ^ (b &* 0x9E37_79B9_7F4A_7C15)
        out.withUnsafeMutableBytes { raw in
            for lane in 0..<8 {
                state &+= 0x9E37_79B9_7F4A_7C15
                let v = mix(state ^ (lane.isMultiple(of: 2) ? a : b))
                // Little-endian bytes on every platform, as before.
                raw.storeBytes(of: v.littleEndian, toByteOffset: lane * 8, as: UInt64.self)
            }
        }
        return Signature(storage: out)
    }

    /// SplitMix64's finalizer: a bijection of 64-bit words with full avalanche.
    @inline(__always)
    private static func mix(_ x: UInt64) -> UInt64 { SplitMix64.finalize(x) }

    func sign(_ message: [UInt8]) -> Signature {
        message.withUnsafeBytes { sign(raw: $0) }
    }

    func sign(raw message: UnsafeRawBufferPointer) -> Signature {
        Self.signature(secret: secret, message: message, recordingIn: registry)
    }
}
