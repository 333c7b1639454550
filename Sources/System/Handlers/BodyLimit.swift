/// How many body bytes a route accepts, for servers that read bodies from a socket: read at
/// most one byte past this, then let the handler (or the server) refuse the request. The same
/// limits `checkSizes` applies.
extension RequestHandlers {
    public func bodyLimit(path: String) -> Int {
        switch path {
        case "/config-upsert", "/job-create": return profile.maxConfigBytes * 2 + 4_096
        default: return profile.limits.maxBodyBytes
        }
    }

    /// The rejection of a body over `bodyLimit(path:)` (`bytes` as far as the server counted).
    public func bodyTooLarge(path: String, bytes: Int) -> APIError {
        switch path {
        case "/config-upsert", "/job-create": return .configTooLarge(bytes: bytes, limit: profile.maxConfigBytes)
        default: return .bodyTooLarge(bytes: bytes, limit: profile.limits.maxBodyBytes)
        }
    }
}
