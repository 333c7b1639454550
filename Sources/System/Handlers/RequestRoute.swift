/// The route a request's path names, found once per request (`RequestHandlers.route` and
/// `checkSizes` both ask, and so does the simulation's API server).
///
/// Why: the router compared the path with each route's text in turn (the heartbeat was the
/// fifth), and `checkSizes` compared it twice more: about a dozen string comparisons a request,
/// each a call into the standard library's comparison when the strings differ. An ASCII path is
/// classified here from its length and bytes, with one comparison of its bytes against the one
/// route it can be; any other path is classified by the same `String` comparisons as before
/// (`==` is canonical equivalence, and a route's text is equivalent only to itself among ASCII
/// strings: the only characters that decompose to ASCII are the Kelvin sign (K), U+037E (;)
/// and U+1FEF (`), and no route holds K, ; or `). `RequestRouteTests` checks the two ways agree.
public enum RequestRoute: UInt8, Sendable, CaseIterable {
    case configUpsert, jobCreate, nodeRegister, nodeClaim, nodeHeartbeat, chunkComplete, configFetch, rotationFetch
    /// `GET /jobs`.
    case jobs
    /// `GET /jobs/{id}`: the path starts with `/jobs/`.
    case job
    case unknown

    /// The route's exact path (`job` and `unknown` have none).
    var exactPath: StaticString? {
        switch self {
        case .configUpsert: return "/config-upsert"
        case .jobCreate: return "/job-create"
        case .nodeRegister: return "/node-register"
        case .nodeClaim: return "/node-claim"
        case .nodeHeartbeat: return "/node-heartbeat"
        case .chunkComplete: return "/chunk-complete"
        case .configFetch: return "/config-fetch"
        case .rotationFetch: return "/rotation-fetch"
        case .jobs: return "/jobs"
        case .job, .unknown: return nil
        }
    }

    /// The route of `path`.
    public init(path: String) {
        var path = path
        if let route = path.withUTF8({ Self.classifyASCII($0) }) {
            self = route
        } else {
            self = Self.classifyByStrings(path)
        }
    }

    /// The route by the path's bytes, or nil when the path is not ASCII and names no route
    /// exactly (then only the `String` comparisons say what it is). A path equal in bytes to a
    /// route's (ASCII) text is that route; the first and last eight bytes cover every route's
    /// text (5 to 15 bytes).
    static func classifyASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> RequestRoute? {
        let candidate: RequestRoute
        switch bytes.count {
        case 5: candidate = .jobs
        case 11: candidate = bytes[1] == UInt8(ascii: "j") ? .jobCreate : .nodeClaim
        case 13: candidate = .configFetch
        case 14: candidate = bytes[1] == UInt8(ascii: "c") ? .configUpsert : .nodeRegister
        case 15:
            switch bytes[1] {
            case UInt8(ascii: "n"): candidate = .nodeHeartbeat
            case UInt8(ascii: "c"): candidate = .chunkComplete
            default: candidate = .rotationFetch
            }
        default: candidate = .unknown
        }
        if let exact = candidate.exactPath, sameBytes(bytes, exact) { return candidate }
        // No route's text: `/jobs/…` or unknown, for an ASCII path.
        var any: UInt8 = 0
        for b in bytes { any |= b }
        guard any < 0x80 else { return nil }
        let prefix: StaticString = "/jobs/"
        if bytes.count >= prefix.utf8CodeUnitCount,
            sameBytes(UnsafeBufferPointer(rebasing: bytes[..<prefix.utf8CodeUnitCount]), prefix)
        {
            return .job
        }
        return .unknown
    }

    /// Whether `bytes` are `text`'s bytes: two 8-byte loads from each end when the length is
    /// 8 to 16, byte by byte otherwise.
    @inline(__always)
    static func sameBytes(_ bytes: UnsafeBufferPointer<UInt8>, _ text: StaticString) -> Bool {
        let n = text.utf8CodeUnitCount
        guard bytes.count == n else { return false }
        guard n > 0 else { return true }
        let a = UnsafeRawPointer(bytes.baseAddress!)
        let b = UnsafeRawPointer(text.utf8Start)
        if n >= 8 && n <= 16 {
            return a.loadUnaligned(as: UInt64.self) == b.loadUnaligned(as: UInt64.self)
                && a.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self) == b.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
        }
        for i in 0..<n where a.load(fromByteOffset: i, as: UInt8.self) != b.load(fromByteOffset: i, as: UInt8.self) {
            return false
        }
        return true
    }

    /// The router's comparisons as they were: the reference for any path.
    static func classifyByStrings(_ path: String) -> RequestRoute {
        switch path {
        case "/config-upsert": return .configUpsert
        case "/job-create": return .jobCreate
        case "/node-register": return .nodeRegister
        case "/node-claim": return .nodeClaim
        case "/node-heartbeat": return .nodeHeartbeat
        case "/chunk-complete": return .chunkComplete
        case "/config-fetch": return .configFetch
        case "/rotation-fetch": return .rotationFetch
        case "/jobs": return .jobs
        default: return path.hasPrefix("/jobs/") ? .job : .unknown
        }
    }

    /// A node's routes (the ones option B serves to unsigned old nodes).
    public var isNodeRoute: Bool {
        switch self {
        case .nodeRegister, .nodeHeartbeat, .chunkComplete, .configFetch, .rotationFetch: return true
        default: return false
        }
    }
}
