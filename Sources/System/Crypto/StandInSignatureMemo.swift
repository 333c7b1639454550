/// The stand-in signatures a scheme's signers made last (`StandInSignatureScheme`), so that
/// its verifier need not compute again the signature of a message the same process has just
/// signed.
///
/// Why: in a simulated fleet every signed request's stand-in signature is computed twice, by
/// the node that signs it and by the server that verifies it, over the same bytes under the
/// same secret. The signature is a chain of about 35 dependent multiply–xorshift steps
/// (`StandInSigner.signature`): about 570 instructions and 55 ns a call, 3.8 % of a fleet run's
/// `perf` samples at N = 10,000 for both sides. The signing side stays as it is; the verifying
/// side asks this memo first.
///
/// Exact: an entry is the triple (secret, message, signature) with the signature computed by
/// `StandInSigner.signature` from that secret and message, written whole under the scheme's lock.
/// A lookup answers `true` only when the entry's secret is the registry's secret for the key,
/// its message is byte for byte the verifier's rebuilt message and its signature is the one
/// the request carries, so `signature(secret, message) == claimed` holds, which is what the
/// computation would have answered. Any other case (no entry, another entry in the place, a
/// different byte anywhere, a message longer than `messageRoom`) computes, as before. So the
/// verdict is the same for every request, honest or forged, and nothing else is changed: a
/// pure function's memo.
///
/// Direct-mapped by the signature's first word (a stand-in signature's bytes are spread
/// uniformly by its last mix): `capacity` entries of 256 bytes, 4 cache lines each (128 KiB),
/// allocated on the first record (a scheme that only verifies, or signs with Ed25519, allocates
/// nothing). A request is verified within a few hundred events of its signing, while a few
/// tens of other requests are signed: in the heartbeat-heavy fleet run 98.5 % of the
/// verifications find their entry (99.2 % with 1,024 entries). A missed entry costs the
/// compare of the signature (64 bytes) before the computation. Recording costs the signer the
/// lock and about 185 instructions; a verification answered here saves about 430 and the
/// signature's chain of dependent multiplies. Noncopyable: it owns its memory.
struct StandInSignatureMemo: ~Copyable {
    /// Entries (a power of two).
    static let capacity = 512
    /// Bytes of message an entry holds (longer messages are not remembered).
    static let messageRoom = 128
    /// Bytes per entry: the signature (64), the secret (32), the message's length (8), room to
    /// 128, then the message.
    static let entryBytes = 256
    static let secretOffset = 64
    static let countOffset = 96
    static let messageOffset = 128

    private var entries: UnsafeMutableRawPointer?

    /// Where a message lies, as integers, to be read inside the scheme's lock (a closure of
    /// `Mutex.withLock` may not capture a buffer pointer, which is not `Sendable`). Only for
    /// the length of the call that makes it.
    struct Place: Sendable {
        let address: UInt
        let count: Int
        @inline(__always)
        init(_ bytes: UnsafeRawBufferPointer) {
            address = UInt(bitPattern: bytes.baseAddress)
            count = bytes.count
        }
        @inline(__always)
        var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: UnsafeRawPointer(bitPattern: address), count: count) }
    }

    init() {}

    deinit { entries?.deallocate() }

    /// The entry a signature goes to.
    @inline(__always)
    private static func place(of signature: Signature) -> Int {
        Int(truncatingIfNeeded: signature.storage.lanes.0) & (capacity &- 1)
    }

    /// Remembers that `signature` is the stand-in signature of `message` under `secret`. The
    /// caller has just computed it so (`StandInSigner.signature`); nothing else may record.
    mutating func record(_ signature: Signature, secret: Bytes32, message: UnsafeRawBufferPointer) {
        let count = message.count
        guard count >= 8, count <= Self.messageRoom, let source = message.baseAddress else { return }
        let base: UnsafeMutableRawPointer
        if let entries {
            base = entries
        } else {
            base = UnsafeMutableRawPointer.allocate(byteCount: Self.capacity * Self.entryBytes, alignment: 64)
            base.initializeMemory(as: UInt8.self, repeating: 0, count: Self.capacity * Self.entryBytes)
            entries = base
        }
        let entry = base + Self.place(of: signature) &* Self.entryBytes
        entry.storeBytes(of: signature.storage, as: Bytes64.self)
        entry.storeBytes(of: secret, toByteOffset: Self.secretOffset, as: Bytes32.self)
        entry.storeBytes(of: count, toByteOffset: Self.countOffset, as: Int.self)
        RequestSigning.copyWords(from: source, count: count, to: entry + Self.messageOffset)
    }

    /// Whether an entry says that `signature` is the stand-in signature of `message` under
    /// `secret` (`false` says nothing: the caller computes).
    func remembers(_ signature: Signature, secret: Bytes32, message: UnsafeRawBufferPointer) -> Bool {
        let count = message.count
        guard let entries, count >= 8, count <= Self.messageRoom, let source = message.baseAddress else { return false }
        let entry = UnsafeRawPointer(entries + Self.place(of: signature) &* Self.entryBytes)
        guard entry.load(as: Bytes64.self) == signature.storage,
            entry.load(fromByteOffset: Self.secretOffset, as: Bytes32.self) == secret,
            entry.load(fromByteOffset: Self.countOffset, as: Int.self) == count
        else { return false }
        return Self.sameWords(source, entry + Self.messageOffset, count: count)
    }

    /// Whether the `count` (8 or more) bytes at `a` and `b` are the same, compared as
    /// `RequestSigning.copyWords` copies them: every byte is in at least one compared word.
    @inline(__always)
    static func sameWords(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, count: Int) -> Bool {
        var difference: UInt64 = 0
        var i = 0
        while i &+ 8 < count {
            difference |= a.loadUnaligned(fromByteOffset: i, as: UInt64.self) ^ b.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            i &+= 8
        }
        difference |= a.loadUnaligned(fromByteOffset: count &- 8, as: UInt64.self)
            ^ b.loadUnaligned(fromByteOffset: count &- 8, as: UInt64.self)
        return difference == 0
    }
}
