import Hummingbird
import JobSystem

/// HTTP ⇄ the handlers' `APIRequest` / `APIResponse`, in one place. What the handlers see is
/// what the simulation's network carries: method, path, query, headers, body bytes.
enum HTTPMapping {
    /// The request's head as an `APIRequest` without body and user: method, the raw path
    /// (percent-encoded, as a node signs its URL's pathname), the decoded query (a parameter
    /// given twice is refused: which one a handler would read is ambiguous), the headers with
    /// lower-case names (repeated fields joined by ", ", RFC 9110 §5.3), `Authorization` kept
    /// out (it is resolved to a user here and must not reach logs or traces).
    static func head(_ request: Request) -> Result<APIRequest, TransportRejection> {
        var query: [String: String] = [:]
        if let raw = request.uri.query, !raw.isEmpty {
            for pair in raw.split(separator: "&", omittingEmptySubsequences: true) {
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard let name = percentDecoded(parts[0]), let value = percentDecoded(parts.count > 1 ? parts[1] : "") else {
                    return .failure(.api(.invalidQuery(parameter: String(parts[0].prefix(64)), expected: "valid percent-encoded UTF-8")))
                }
                guard query[name] == nil else { return .failure(.duplicateQuery(String(name.prefix(64)))) }
                query[name] = value
            }
        }
        var headers = APIHeaders()
        for field in request.headers where field.name != .authorization {
            let name = field.name.canonicalName
            if let earlier = headers[name] { headers[name] = earlier + ", " + field.value } else { headers.append(name: name, value: field.value) }
        }
        return .success(APIRequest(method: request.method.rawValue, path: request.uri.path, query: query, headers: headers))
    }

    /// `Authorization: Bearer <token>`: nil when absent, the token when well-formed, else the
    /// rejection (a client that sends credentials must learn they were not used).
    static func bearerToken(_ request: Request) -> Result<String?, TransportRejection> {
        let values = request.headers[values: .authorization]
        guard let value = values.first else { return .success(nil) }
        guard values.count == 1 else { return .failure(.invalidToken("send one Authorization header")) }
        let parts = value.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer", !parts[1].isEmpty else {
            return .failure(.invalidToken("Authorization must be 'Bearer <token>'"))
        }
        return .success(String(parts[1]).trimmingSpaces)
    }

    /// The most body bytes a route takes: the handlers' limits (`RequestHandlers.bodyLimit`).
    /// The body is read up to one byte past it and no further.
    static func readBody(_ request: Request, limit: Int) async throws -> [UInt8]? {
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > limit { return nil }
        var bytes: [UInt8] = []
        for try await var buffer in request.body {
            guard bytes.count + buffer.readableBytes <= limit else { return nil }
            bytes += buffer.readBytes(length: buffer.readableBytes) ?? []
        }
        return bytes
    }

    /// The handlers' answer as HTTP: its status, its headers (`Retry-After`), its JSON body.
    static func response(_ api: APIResponse) -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        for (name, value) in api.headers {
            guard let field = HTTPFields.Element.Name(name) else { continue }
            headers[field] = value
        }
        return Response(
            status: HTTPResponse.Status(code: api.status), headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: api.body)))
    }

    /// Percent-decoding of a query component (`+` is a space, as in forms); nil if a `%` is not
    /// followed by two hex digits or the result is not UTF-8.
    static func percentDecoded(_ text: Substring) -> String? {
        var out: [UInt8] = []
        var bytes = text.utf8.makeIterator()
        while let b = bytes.next() {
            switch b {
            case UInt8(ascii: "%"):
                guard let h = bytes.next().flatMap(hexValue), let l = bytes.next().flatMap(hexValue) else { return nil }
                out.append(h << 4 | l)
            case UInt8(ascii: "+"): out.append(UInt8(ascii: " "))
            default: out.append(b)
            }
        }
        return String(validating: out, as: UTF8.self)
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " || s.first == "\t" { s = s.dropFirst() }
        while s.last == " " || s.last == "\t" { s = s.dropLast() }
        return String(s)
    }
}
