import AsyncHTTPClient
import ClientRuntime
import NIOCore
import NIOHTTP1
import JobSystem

/// `APITransport` over HTTP/1.1 with async-http-client: one `APIRequest` becomes one HTTP
/// request to `server` (path, percent-encoded query, headers, body), its status and body the
/// `APIResponse`. Nothing typed crosses: the server's error code is in the body, as the clients'
/// `ResponseClass` expects.
///
/// - `authorization`: sent as `Authorization: Bearer …` (the portal user's token); nodes send
///   none (their requests are signed).
/// - Replies larger than `maxResponseBytes` are not read (a broken or hostile server cannot make
///   a client allocate without bound): the request counts as unanswered.
public struct HTTPTransport: APITransport {
    public let server: ServerAddress
    let client: HTTPClient
    let authorization: String?
    let timeout: TimeAmount
    public static let maxResponseBytes = 8 << 20

    public init(server: ServerAddress, client: HTTPClient = .shared, authorization: String? = nil, timeoutSeconds: Int64 = 30) {
        self.server = server
        self.client = client
        self.authorization = authorization
        self.timeout = .seconds(timeoutSeconds)
    }

    public func send(_ request: APIRequest) async throws -> APIResponse {
        var http = HTTPClientRequest(url: server.url(path: request.path, query: request.query))
        http.method = HTTPMethod(rawValue: request.method)
        for field in request.headers.sorted(by: { $0.name < $1.name }) { http.headers.add(name: field.name, value: field.value) }
        if let authorization { http.headers.replaceOrAdd(name: "Authorization", value: "Bearer \(authorization)") }
        if !request.body.isEmpty || request.method.uppercased() == "POST" {
            http.headers.replaceOrAdd(name: "Content-Type", value: "application/json")
            http.body = .bytes(request.body)
        }
        let response = try await client.execute(http, timeout: timeout)
        let body = try await response.body.collect(upTo: Self.maxResponseBytes)
        var headers: APIHeaders = [:]
        // The one response header clients read, by its canonical name.
        if let retryAfter = response.headers.first(name: "Retry-After") { headers["Retry-After"] = retryAfter }
        return APIResponse(status: Int(response.status.code), headers: headers, body: Array(body.readableBytesView))
    }
}
