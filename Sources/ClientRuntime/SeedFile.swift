#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CSodium
import JobSystem

/// The node's identity on disk (the seeds' `config.ini`): its Ed25519 seed and what
/// `NodeAgent.Durable` keeps (node id, claim code, incarnation), as one small JSON document:
///
/// ```json
/// {"claimCode":"7K3QZP","format":1,"incarnation":4,"keySeed":"<64 hex digits>","nodeId":"<uuid>"}
/// ```
///
/// - Created on first run from 32 bytes of `randombytes_buf` (libsodium's CSPRNG), with mode
///   0600 and `O_EXCL`, so two nodes started at once on one path cannot both create it.
/// - Rewritten atomically (a temporary file in the same directory, `fsync`, `rename`), so a
///   crash mid-write leaves the previous version, never half a key.
/// - Never overwritten when it cannot be read: a corrupt file is an error naming the problem,
///   since replacing it would silently give the node a new identity (and orphan its claim).
/// - Refused when group or others may read it (as ssh refuses a private key): the seed is the
///   node's private key.
public struct SeedFile: Sendable {
    public let path: String
    /// Files larger than this are not seed files (refused before reading them whole).
    static let maxBytes = 4_096

    public init(path: String) { self.path = path }

    /// The stored identity, or a new one saved first if the file does not exist (`created`).
    public func loadOrCreate() throws(SeedFileError) -> (durable: NodeAgent.Durable, created: Bool) {
        if let existing = try load() { return (existing, false) }
        let durable = NodeAgent.Durable(keySeed: try Self.freshSeed())
        try create(durable)
        return (durable, true)
    }

    /// The stored identity; nil if there is no file.
    public func load() throws(SeedFileError) -> NodeAgent.Durable? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw .unreadable(path: path, reason: Self.describeErrno())
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .unreadable(path: path, reason: Self.describeErrno()) }
        guard info.st_mode & S_IFMT == S_IFREG else { throw .unreadable(path: path, reason: "not a regular file") }
        guard info.st_mode & 0o077 == 0 else {
            throw .tooOpen(path: path, mode: String(UInt32(info.st_mode) & 0o777, radix: 8))
        }
        guard info.st_size <= Self.maxBytes else {
            throw .corrupt(path: path, reason: "\(info.st_size) bytes, a seed file is at most \(Self.maxBytes)")
        }
        var bytes = [UInt8](repeating: 0, count: Self.maxBytes + 1)
        var count = 0
        while count < bytes.count {
            let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + count, $0.count - count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .unreadable(path: path, reason: Self.describeErrno())
            }
            if n == 0 { break }
            count += n
        }
        return try Self.decode(Array(bytes[..<count]), path: path)
    }

    /// Replaces the stored identity atomically (what the agent's `persist` effect does).
    public func save(_ durable: NodeAgent.Durable) throws(SeedFileError) {
        let temporary = path + ".tmp"
        unlink(temporary)
        try write(Self.encode(durable), to: temporary, exclusive: true)
        guard rename(temporary, path) == 0 else {
            let reason = Self.describeErrno()
            unlink(temporary)
            throw .unwritable(path: path, reason: reason)
        }
    }

    func create(_ durable: NodeAgent.Durable) throws(SeedFileError) {
        try write(Self.encode(durable), to: path, exclusive: true)
    }

    private func write(_ bytes: [UInt8], to target: String, exclusive: Bool) throws(SeedFileError) {
        let fd = open(target, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | (exclusive ? O_EXCL : O_TRUNC), 0o600)
        guard fd >= 0 else {
            if errno == EEXIST, target == path { throw .unwritable(path: target, reason: "it appeared while being created (another node on the same file?)") }
            throw .unwritable(path: target, reason: Self.describeErrno())
        }
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { posixWrite(fd, $0.baseAddress! + written, $0.count - written) }
            if n < 0 {
                if errno == EINTR { continue }
                let reason = Self.describeErrno()
                close(fd)
                throw .unwritable(path: target, reason: reason)
            }
            written += n
        }
        let synced = fsync(fd) == 0
        let reason = Self.describeErrno()
        close(fd)
        guard synced else { throw .unwritable(path: target, reason: reason) }
    }

    /// 32 bytes from libsodium's CSPRNG (`getrandom` underneath).
    static func freshSeed() throws(SeedFileError) -> [UInt8] {
        guard sodium_init() >= 0 else { throw .noRandomness }
        var seed = [UInt8](repeating: 0, count: 32)
        seed.withUnsafeMutableBytes { randombytes_buf($0.baseAddress!, 32) }
        return seed
    }

    static func encode(_ durable: NodeAgent.Durable) -> [UInt8] {
        var fields: [String: JSONValue] = [
            "format": 1, "keySeed": .string(Hex.encode(durable.keySeed)),
            "incarnation": .number(Double(durable.incarnation)),
        ]
        if let id = durable.nodeID { fields["nodeId"] = .string(id.uuidString) }
        if let code = durable.claimCode { fields["claimCode"] = .string(code) }
        return JSONValue.object(fields).canonicalBytes + [0x0A]
    }

    static func decode(_ bytes: [UInt8], path: String) throws(SeedFileError) -> NodeAgent.Durable {
        func corrupt(_ reason: String) -> SeedFileError { .corrupt(path: path, reason: reason) }
        var trimmed = bytes[...]
        while let last = trimmed.last, last == 0x0A || last == 0x0D || last == 0x20 { trimmed = trimmed.dropLast() }
        let json: JSONValue
        do { json = try JSONValue.parse(Array(trimmed)) } catch { throw corrupt("not JSON (\(error))") }
        guard case .object = json else { throw corrupt("not a JSON object") }
        guard json["format"]?.intValue == 1 else { throw corrupt("unknown format (expected \"format\": 1)") }
        guard let hex = json["keySeed"]?.stringValue, let seed = Hex.decode(hex), seed.count == 32 else {
            throw corrupt("keySeed is not 64 hex digits")
        }
        var nodeID: NodeID?
        if let value = json["nodeId"], !value.isNull {
            guard let text = value.stringValue, let id = NodeID(uuidString: text) else { throw corrupt("nodeId is not a UUID") }
            nodeID = id
        }
        var claimCode: String?
        if let value = json["claimCode"], !value.isNull {
            guard let text = value.stringValue, text.utf8.count <= 64 else { throw corrupt("claimCode is not a short string") }
            claimCode = text
        }
        guard let number = json["incarnation"]?.doubleValue, number >= 0, number < 0x1p52, number == number.rounded() else {
            throw corrupt("incarnation is not a non-negative integer")
        }
        return NodeAgent.Durable(keySeed: seed, nodeID: nodeID, claimCode: claimCode, incarnation: UInt64(number))
    }

    static func describeErrno() -> String { String(cString: strerror(errno)) }
}

/// `write(2)`, named apart from `SeedFile.write`.
private func posixWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.write(fd, buffer, count)
    #else
    return Darwin.write(fd, buffer, count)
    #endif
}

/// Why the seed file could not be used. Each says what to do about it.
public enum SeedFileError: Error, Equatable, Sendable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case unwritable(path: String, reason: String)
    case corrupt(path: String, reason: String)
    case tooOpen(path: String, mode: String)
    case noRandomness

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): return "cannot read the seed file \(path): \(reason)"
        case .unwritable(let path, let reason): return "cannot write the seed file \(path): \(reason)"
        case .corrupt(let path, let reason):
            return "the seed file \(path) is corrupt: \(reason). It holds the node's identity, so it is not replaced: restore it from a backup, or move it away to start as a new node (and claim it again)"
        case .tooOpen(let path, let mode):
            return "the seed file \(path) has mode \(mode): it holds the node's private key and must be readable by its owner only (chmod 600 \(path))"
        case .noRandomness: return "libsodium could not initialize (no system randomness)"
        }
    }
}
