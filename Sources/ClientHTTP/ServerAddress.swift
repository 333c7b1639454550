import JobSystem

/// The API server's base URL (`--server`, `SIMHARNESS_SERVER`), checked once at start so a typo
/// is a clear error rather than every request failing: `http://` or `https://`, a host, an
/// optional port, an optional path prefix (a reverse proxy's), no query or fragment.
public struct ServerAddress: Sendable, Equatable, CustomStringConvertible {
    public let scheme: String
    /// `host` or `host:port`, as written.
    public let authority: String
    /// Empty, or starting with `/` and not ending with one.
    public let pathPrefix: String

    public init(_ text: String) throws(ServerAddressError) {
        let lower = text.lowercased()
        let scheme: String
        if lower.hasPrefix("http://") { scheme = "http" } else if lower.hasPrefix("https://") { scheme = "https" } else {
            throw ServerAddressError(text: text, reason: "it must start with http:// or https://")
        }
        let rest = text.dropFirst(scheme.count + 3)
        guard !rest.contains(where: { $0 == "?" || $0 == "#" || $0 == " " || $0 == "@" }) else {
            throw ServerAddressError(text: text, reason: "no query, fragment, spaces or credentials, please")
        }
        let authority = rest.prefix { $0 != "/" }
        guard !authority.isEmpty else { throw ServerAddressError(text: text, reason: "it names no host") }
        if let colon = authority.lastIndex(of: ":"), !authority.hasSuffix("]") {
            let port = authority[authority.index(after: colon)...]
            guard let number = Int(port), (1...65_535).contains(number) else {
                throw ServerAddressError(text: text, reason: "the port is not a number in 1...65535")
            }
        }
        var prefix = String(rest.dropFirst(authority.count))
        while prefix.hasSuffix("/") { prefix.removeLast() }
        self.scheme = scheme
        self.authority = String(authority)
        self.pathPrefix = prefix
    }

    /// The URL of a route with its query, percent-encoded (keys in sorted order).
    public func url(path: String, query: [String: String] = [:]) -> String {
        "\(scheme)://\(authority)\(pathPrefix)\(path)\(Self.queryString(query))"
    }

    /// The same route over WebSocket (`ws://` or `wss://`).
    public func webSocketURL(path: String, query: [String: String] = [:]) -> String {
        "\(scheme == "https" ? "wss" : "ws")://\(authority)\(pathPrefix)\(path)\(Self.queryString(query))"
    }

    static func queryString(_ query: [String: String]) -> String {
        guard !query.isEmpty else { return "" }
        return "?" + query.keys.sorted().map { "\(percentEncoded($0))=\(percentEncoded(query[$0]!))" }.joined(separator: "&")
    }

    public var description: String { "\(scheme)://\(authority)\(pathPrefix)" }

    /// RFC 3986: everything but unreserved characters as %XX of its UTF-8 bytes.
    static func percentEncoded(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".unicodeScalars)
                out += "%"
                out.unicodeScalars.append(hex[Int(byte >> 4)])
                out.unicodeScalars.append(hex[Int(byte & 0x0F)])
            }
        }
        return out
    }
}

public struct ServerAddressError: Error, Sendable, Equatable, CustomStringConvertible {
    public let text: String
    public let reason: String
    public var description: String { "invalid server URL \"\(text)\": \(reason)" }
}
