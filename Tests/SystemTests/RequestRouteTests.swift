import Testing

@testable import JobSystem

/// `RequestRoute(path:)` (the router's path, classified once by its bytes) against the router's
/// `String` comparisons, written here as a plain reference: every route's path, near misses of
/// each (one byte changed, cut, extended, case changed), `/jobs/…` and non-ASCII spellings that
/// `String`'s canonical equivalence or grapheme breaking treats differently from bytes, and
/// seeded strings from an alphabet of the routes' characters.
@Suite struct RequestRouteTests {
    /// The reference: the routes' texts as the handlers' README lists them, compared as `String`s.
    static let reference: [(String, RequestRoute)] = [
        ("/config-upsert", .configUpsert), ("/job-create", .jobCreate), ("/node-register", .nodeRegister),
        ("/node-claim", .nodeClaim), ("/node-heartbeat", .nodeHeartbeat), ("/chunk-complete", .chunkComplete),
        ("/config-fetch", .configFetch), ("/rotation-fetch", .rotationFetch), ("/jobs", .jobs),
    ]

    static func expected(_ path: String) -> RequestRoute {
        for (text, route) in reference where path == text { return route }
        return path.hasPrefix("/jobs/") ? .job : .unknown
    }

    func check(_ path: String) {
        #expect(RequestRoute(path: path) == Self.expected(path), "\(Array(path.utf8))")
    }

    @Test func everyRouteAndItsNearMisses() {
        for (text, route) in Self.reference {
            #expect(RequestRoute(path: text) == route)
            let bytes = Array(text.utf8)
            for i in bytes.indices {
                for replacement: UInt8 in [0x2D, 0x2F, 0x41, 0x61, 0x7A, bytes[i] ^ 0x20, bytes[i] &+ 1] {
                    var b = bytes
                    b[i] = replacement
                    check(String(decoding: b, as: UTF8.self))
                }
                check(String(decoding: bytes[..<i], as: UTF8.self))
                check(String(decoding: bytes[(i + 1)...], as: UTF8.self))
            }
            check(text + "/")
            check(text + "x")
            check(text.uppercased())
            check(" " + text)
        }
    }

    @Test func jobPathsAndUnicode() {
        let paths = [
            "/jobs/", "/jobs/abc", "/jobs//", "/jobsx", "/job", "/jobs/\u{301}", "/jobs\u{301}/x", "/jobs/é",
            "/node-heartbeat\u{301}", "/node-heartbeat\u{200D}", "/\u{212A}", "/jobs\u{0}", "", "/", "\u{FEFF}/jobs",
            "/config-upsert\r\n", "/chunk-compl\u{0065}\u{0301}te", "/jobs/\r\n", "/ｊobs", "/node-claim\u{300}",
        ]
        for path in paths { check(path) }
    }

    @Test func seededPaths() {
        var rng = SystemTestRNG(state: 77)
        let pieces = ["/", "jobs", "node-", "heartbeat", "config", "-", "upsert", "fetch", "c", "k", "é", "\u{301}", "e", "x", "s", "/jobs/"]
        for _ in 0..<5_000 {
            let path = (0..<Int(rng.next() % 5)).map { _ in pieces[Int(rng.next() % UInt64(pieces.count))] }.joined()
            check(path)
        }
    }

    @Test func nodeRoutes() {
        let nodes: Set<RequestRoute> = [.nodeRegister, .nodeHeartbeat, .chunkComplete, .configFetch, .rotationFetch]
        for route in RequestRoute.allCases { #expect(route.isNodeRoute == nodes.contains(route)) }
    }
}
