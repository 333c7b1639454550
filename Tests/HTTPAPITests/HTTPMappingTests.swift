import Hummingbird
import JobSystem
import Testing

@testable import HTTPAPI

/// HTTP fields → `APIHeaders` (no server, no database): names lower-cased, a repeated field's
/// values joined by ", " in arrival order under one name (RFC 9110 §5.3), `Authorization` kept out;
/// and a response's `Retry-After` back as an HTTP field.
@Suite struct HTTPMappingTests {
    func head(_ fields: HTTPFields) throws -> APIRequest {
        let request = Request(
            head: HTTPRequest(method: .post, scheme: "http", authority: "localhost", path: "/node-heartbeat?a=1", headerFields: fields),
            body: RequestBody(buffer: ByteBuffer()))
        return try HTTPMapping.head(request).get()
    }

    @Test func repeatedFieldsAreJoinedUnderOneLowerCaseName() throws {
        var fields = HTTPFields()
        fields.append(HTTPFields.Element(name: HTTPFields.Element.Name("X-Node-Key")!, value: "k"))
        fields.append(HTTPFields.Element(name: HTTPFields.Element.Name("X-Custom")!, value: "one"))
        fields.append(HTTPFields.Element(name: HTTPFields.Element.Name("x-custom")!, value: "two"))
        fields.append(HTTPFields.Element(name: .authorization, value: "Bearer secret"))
        fields.append(HTTPFields.Element(name: HTTPFields.Element.Name("X-CUSTOM")!, value: "three"))
        let request = try head(fields)
        #expect(request.headers.names == ["x-node-key", "x-custom"])
        #expect(request.headers["X-Custom"] == "one, two, three")
        #expect(request.headers["x-node-key"] == "k")
        #expect(request.headers["authorization"] == nil)
        #expect(request.path == "/node-heartbeat" && request.query == ["a": "1"])
    }

    @Test func responseHeadersBecomeHTTPFields() {
        let response = HTTPMapping.response(.rejection(.rateLimited(what: "heartbeats", retryAfterSeconds: 7)))
        #expect(response.headers[HTTPFields.Element.Name("Retry-After")!] == "7")
        #expect(response.headers[.contentType] == "application/json")
    }
}
