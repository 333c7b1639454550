import Testing

@testable import JobSystem

/// `APIHeaders`: the rules its doc comment states (lookup case, replacement, repeats, equality,
/// literal order), and that the signature verifier keeps today's answers on repeated names.
@Suite struct APIHeadersTests {
    @Test func literalKeepsOrderAndLooksUpNamesIgnoringASCIICase() {
        let headers: APIHeaders = ["X-Node-Key": "k", "X-Node-Sig": "s", "X-Node-Ts": "1"]
        #expect(headers.count == 3)
        #expect(headers.names == ["X-Node-Key", "X-Node-Sig", "X-Node-Ts"])
        #expect(headers.map(\.value) == ["k", "s", "1"])
        #expect(headers["X-Node-Key"] == "k")
        #expect(headers["x-node-key"] == "k")
        #expect(headers["X-NODE-SIG"] == "s")
        #expect(headers["x-Node-ts"] == "1")
        #expect(headers["X-Node-Tss"] == nil)
        #expect(headers["X-Node-T"] == nil)
        #expect(headers.contains(name: "x-node-ts") && !headers.contains(name: "Retry-After"))
        let empty: APIHeaders = [:]
        #expect(empty.isEmpty && empty["X-Node-Key"] == nil && empty == APIHeaders())
    }

    /// `withNodeKeyText` hands `body` the bytes of the value the subscript gives for
    /// `X-Node-Key` (nil when it gives none), for lists under any spelling of the name and for a
    /// node's signed headers (read from its buffer).
    @Test func theNodeKeysBytesAreTheSubscriptsValue() {
        func bytes(_ headers: APIHeaders) -> [UInt8]? {
            var seen: [UInt8]? = nil
            let answer = headers.withNodeKeyText { seen = Array($0); return $0.count + 1 }
            #expect(answer == seen.map { $0.count + 1 })
            return seen
        }
        let key = "MCowBQYDK2VwAyEAx1j0H4mQmJ8xQvM0nG8Kq2Jp6cY="
        let lists: [APIHeaders] = [
            ["X-Node-Key": key, "X-Node-Sig": "s"], ["x-node-key": "k"], ["X-NODE-KEY": ""],
            ["A": "1", "x-Node-Key": "first", "X-Node-Key": "second"], ["X-Node-Sig": "s"], [:],
            ["X-Node-Keys": "no"],
        ]
        for headers in lists {
            #expect(bytes(headers) == headers[RequestSigning.keyHeader].map { Array($0.utf8) })
        }
        // A node's signed headers, with keys around the small-string size (15 bytes), whose
        // bytes a String keeps in its own value rather than in storage the buffer holds.
        for signedKey in [key, "", "k", String(repeating: "a", count: 15), String(repeating: "b", count: 16)] {
            let signed = APIHeaders(nodeSigned: NodeSignedHeaderText(key: signedKey))
            #expect(signed[RequestSigning.keyHeader] == signedKey)
            #expect(bytes(signed) == Array(signedKey.utf8), "key of \(signedKey.utf8.count) bytes")
        }
    }

    @Test func onlyASCIILettersFoldCase() {
        // '[' (0x5B) and '{' (0x7B), '@' (0x40) and '`' (0x60) differ by 0x20 but are not letters.
        #expect(!APIHeaders.asciiCaseInsensitiveEqual("a[", "A{"))
        #expect(!APIHeaders.asciiCaseInsensitiveEqual("@x", "`x"))
        #expect(APIHeaders.asciiCaseInsensitiveEqual("Retry-After", "rETRY-aFTER"))
        // Non-ASCII bytes compare exactly: no Unicode case folding.
        #expect(!APIHeaders.asciiCaseInsensitiveEqual("X-Ä", "x-ä"))
        #expect(APIHeaders.asciiCaseInsensitiveEqual("X-Ä", "x-Ä"))
        let headers: APIHeaders = ["X-Ä": "1"]
        #expect(headers["x-Ä"] == "1" && headers["x-ä"] == nil)
    }

    @Test func settingReplacesInPlaceAppendsOrRemoves() {
        var headers: APIHeaders = ["A": "1", "B": "2", "C": "3"]
        headers["b"] = "two"  // replaced where it was, spelled as set
        #expect(headers.names == ["A", "b", "C"] && headers.map(\.value) == ["1", "two", "3"])
        headers["D"] = "4"  // absent: appended
        #expect(headers.names == ["A", "b", "C", "D"] && headers["d"] == "4")
        headers["a"] = nil
        #expect(headers.names == ["b", "C", "D"] && headers["A"] == nil)
        headers["Z"] = nil  // removing an absent name changes nothing
        #expect(headers.names == ["b", "C", "D"])
    }

    @Test func repeatsAreKeptByAppendAndLiteralAndCollapsedBySetting() {
        var headers: APIHeaders = ["X-Node-Ts": "1", "x-node-ts": "2"]
        headers.append(name: "X-NODE-TS", value: "3")
        headers.append(name: "Other", value: "o")
        #expect(headers.count == 4)
        #expect(headers["x-node-ts"] == "1", "the first of several")
        var set = headers
        set["X-Node-Ts"] = "9"  // replaces the first, drops the later repeats, keeps the rest
        #expect(set.names == ["X-Node-Ts", "Other"] && set.map(\.value) == ["9", "o"])
        var removed = headers
        removed["x-NODE-ts"] = nil  // removes every repeat
        #expect(removed.names == ["Other"])
    }

    @Test func equalityIgnoresOrderAndNameCaseButCountsRepeats() {
        let a: APIHeaders = ["A": "1", "B": "2"]
        #expect(a == ["B": "2", "A": "1"])
        #expect(a == ["a": "1", "b": "2"])
        #expect(a != ["A": "1", "B": "two"])
        #expect(a != ["A": "1"])
        #expect(a != ["A": "1", "B": "2", "C": "3"])
        #expect(a != ["a": "2", "B": "1"], "values stay with their names")
        #expect(a != ["A": "1", "b": "2", "B": "2"])
        // Same length, same set of fields, different multiplicities.
        let repeated: APIHeaders = ["A": "1", "A": "1", "B": "2"]
        #expect(repeated != ["A": "1", "B": "2", "B": "2"])
        #expect(repeated == ["B": "2", "a": "1", "A": "1"])
        // Values compare exactly (case included).
        #expect(APIHeaders([("K", "v")]) != ["K": "V"])
    }

    @Test func builtFromSignedHeadersInTheirOrder() {
        let signer = RequestSigner(signer: Ed25519().makeSigner(seed: [UInt8](repeating: 3, count: 32)), hasher: SodiumSHA256())
        let signed = signer.sign(method: "GET", path: "/x", body: [], unixSeconds: 1_700_000_000)
        let headers = APIHeaders(signed.headers)
        #expect(headers.names == ["X-Node-Key", "X-Node-Sig", "X-Node-Ts"])
        #expect(headers["x-node-ts"] == "1700000000")
        #expect((try? SignedHeaders(headers: headers)) == signed)
    }

    /// Repeated names reach the verifier only from a client that sends them: equal values (after
    /// trimming optional whitespace) are one header, different values are malformed, whether
    /// the repeat is spelled the same or not.
    @Test func verifierRejectsConflictingRepeatsWhateverTheirSpelling() throws {
        let signer = RequestSigner(signer: Ed25519().makeSigner(seed: [UInt8](repeating: 3, count: 32)), hasher: SodiumSHA256())
        let signed = signer.sign(method: "GET", path: "/x", body: [], unixSeconds: 1_700_000_000)
        let good = APIHeaders(signed.headers)
        let otherKey = Ed25519().makeSigner(seed: [UInt8](repeating: 4, count: 32)).publicKey.base64
        for spelling in ["X-Node-Key", "x-node-key"] {
            var conflicting = good
            conflicting.append(name: spelling, value: otherKey)
            #expect(throws: SignatureError.malformedKey) { try SignedHeaders(headers: conflicting) }
            var agreeing = good
            agreeing.append(name: spelling, value: " \(signed.key.base64) ")
            #expect(try SignedHeaders(headers: agreeing) == signed)
        }
        var twoTimestamps = good
        twoTimestamps.append(name: "X-Node-Ts", value: "1700000001")
        #expect(throws: SignatureError.malformedTimestamp) { try SignedHeaders(headers: twoTimestamps) }
    }
}
