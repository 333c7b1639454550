import Testing

@testable import System

/// Hardening (issue 15): oversized, extreme and malformed input is refused with a status, a
/// stable code and a reason, and leaves the store as it was.
@Suite("Bad input")
struct BadInputTests {
    typealias F = StoreFixtures

    // MARK: Sizes

    /// A 5 MB node-register was accepted: every route now has a body limit, checked before
    /// the body is parsed or its signature verified.
    @Test func everyRouteHasABodyLimit() throws {
        var bench = HandlerBench()
        let limit = bench.profile.limits.maxBodyBytes
        var fields = HandlerBench.registration(bench.key(1)).objectValue!
        fields["padding"] = .string(String(repeating: "x", count: 5_000_000))
        let huge = bench.node(1, "POST", "/node-register", .object(fields))
        #expect(huge.status == 413 && huge.error == .bodyTooLarge(bytes: JSONValue.object(fields).canonicalBytes.count, limit: limit))
        #expect(huge.json?["error"] == "body_too_large")
        #expect(bench.store.node(publicKey: bench.key(1)) == nil)
        for path in ["/node-heartbeat", "/chunk-complete", "/node-claim", "/config-fetch", "/rotation-fetch", "/jobs", "/jobs/x", "/nope"] {
            let request = APIRequest(method: "POST", path: path, body: [UInt8](repeating: 0x20, count: limit + 1), user: F.user(1))
            #expect(bench.call(request).error == .bodyTooLarge(bytes: limit + 1, limit: limit), "\(path)")
        }
        // At the limit the body is parsed (and here refused for what it is, not its size).
        let atLimit = APIRequest(method: "POST", path: "/node-claim", body: [UInt8](repeating: 0x20, count: limit), user: F.user(1))
        guard case .invalidJSON = bench.call(atLimit).error else { Issue.record("a body at the limit is read"); return }
    }

    @Test func pathQueryAndHeadersHaveLimits() {
        var bench = HandlerBench()
        let limits = bench.profile.limits
        let longPath = "/jobs/" + String(repeating: "a", count: limits.maxTargetBytes)
        let uri = bench.call(APIRequest(method: "GET", path: longPath))
        #expect(uri.status == 414 && uri.json?["error"] == "uri_too_long")
        let query = bench.call(APIRequest(method: "GET", path: "/config-fetch", query: ["hash": String(repeating: "0", count: limits.maxTargetBytes)]))
        #expect(query.status == 414)
        let headers = bench.call(APIRequest(method: "GET", path: "/jobs", headers: ["X-Pad": String(repeating: "h", count: limits.maxHeaderBytes)], user: F.user(1)))
        #expect(headers.status == 431 && headers.json?["error"] == "headers_too_large")
    }

    /// Length limits count bytes of UTF-8: 64 "é" are 64 characters but 128 bytes.
    @Test func lengthLimitsCountBytes() throws {
        var bench = HandlerBench()
        var fields = HandlerBench.registration(bench.key(1)).objectValue!
        fields["name"] = .string(String(repeating: "é", count: 64))
        #expect(bench.node(1, "POST", "/node-register", .object(fields)).error
            == .invalidField(field: "name", expected: "a string of 1 to 64 bytes of UTF-8"))
        fields["name"] = .string(String(repeating: "é", count: 32))
        // 17 combining accents: one character, 34 bytes.
        fields["version"] = .string(String(repeating: "\u{301}", count: 17))
        #expect(bench.node(1, "POST", "/node-register", .object(fields)).error
            == .invalidField(field: "version", expected: "a string of 1 to 32 bytes of UTF-8"))
        #expect(bench.store.node(publicKey: bench.key(1)) == nil)
        // An ability name of 64 characters but 128 bytes is out of range too.
        var config = HandlerBench.config.objectValue!
        var abilities = config["abilities"]!.arrayValue!
        var first = abilities[0].objectValue!
        first["name"] = .string(String(repeating: "é", count: 64))
        abilities[0] = .object(first)
        config["abilities"] = .array(abilities)
        #expect(bench.portal("/config-upsert", ["config": .object(config)]).error
            == .invalidConfig(.outOfRange(field: "abilities[0].name", allowed: "1...64")))
    }
}
