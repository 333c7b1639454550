/// The two bodies nodes send most (a heartbeat every 15 s per node, a completion per chunk),
/// written and read without a `JSONValue` tree.
///
/// `heartbeat` and `chunkComplete` write exactly the canonical bytes of the tree the node used
/// to build (`{"computing":[…],"publicKey":…}`, `{"attempt":…,"chunkId":…,"publicKey":…,
/// "result":{…}}`; tests pin them to `canonicalBytes`). The readers accept only that canonical
/// layout, reading each value with the strict parser's own scanners; anything else (other key
/// order, whitespace, extra fields, a bad value) returns nil and the handler takes its general
/// path, which gives the same values for every body these readers accept and the exact error
/// for every other. So the fast path changes no answer, only its cost.
public enum NodeRequestBody {
    /// `{computing?: [chunkId], publicKey?}`: `computing` omitted when empty, `publicKey` only
    /// for old, unsigned nodes. Any collection of ids: the node passes its running assignments'
    /// ids read in place (`RunningChunkIDs`) rather than an array built for each heartbeat (an
    /// allocation per heartbeat of a busy node).
    public static func heartbeat(computing: some Collection<ChunkID>, publicKey: PublicKey?) -> [UInt8] {
        // A signed node computing nothing (most heartbeats): `{}`, one shared array.
        if computing.isEmpty && publicKey == nil { return emptyObject }
        var w = CanonicalJSONWriter(capacity: 16 + 39 * computing.count)
        w.beginObject()
        if !computing.isEmpty {
            w.key("computing")
            w.beginArray()
            for id in computing { w.identifier(id.raw) }
            w.endArray()
        }
        if let publicKey {
            w.key("publicKey")
            w.string(publicKey.base64)
        }
        w.endObject()
        return w.bytes
    }

    /// `{maxParallel, name, platform, publicKey, totalCores, version}`, each node's first request
    /// (10,000 of them as a fleet starts): the canonical bytes of the tree it was built as,
    /// written directly (keys in canonical order; `NodeAnswerPathTests` pins them to the tree's).
    public static func register(
        publicKey: PublicKey, name: String, totalCores: Int, maxParallel: Int, platform: String, version: String
    ) -> [UInt8] {
        var w = CanonicalJSONWriter(capacity: 96 + name.utf8.count + platform.utf8.count + version.utf8.count)
        w.beginObject()
        w.key("maxParallel"); w.int(maxParallel)
        w.key("name"); w.string(name)
        w.key("platform"); w.string(platform)
        w.key("publicKey"); w.string(publicKey.base64)
        w.key("totalCores"); w.int(totalCores)
        w.key("version"); w.string(version)
        w.endObject()
        return w.bytes
    }

    /// A registration body in exactly `register`'s layout, as the fields the strict parser
    /// gives for it (each value read by the parser's own string and number readers); nil for
    /// any other body, which `RequestBody` then parses. The tree parser and its dictionary
    /// were about 15,000 instructions a registration.
    static func readRegisterFields(_ body: [UInt8]) -> [String: JSONValue]? {
        var r = CanonicalJSONReader(body)
        guard r.literal("{\"maxParallel\":"), let maxParallel = r.number(),
            r.literal(",\"name\":"), let name = r.string(),
            r.literal(",\"platform\":"), let platform = r.string(),
            r.literal(",\"publicKey\":"), let publicKey = r.string(),
            r.literal(",\"totalCores\":"), let totalCores = r.number(),
            r.literal(",\"version\":"), let version = r.string(),
            r.literal("}"), r.atEnd
        else { return nil }
        return [
            "maxParallel": .number(maxParallel), "name": .string(name), "platform": .string(platform),
            "publicKey": .string(publicKey), "totalCores": .number(totalCores), "version": .string(version),
        ]
    }

    /// `{}`: what the writer writes for an object without members.
    ///
    /// An array literal of constants, so the compiler lays the array out in the binary as an
    /// immortal object (`swift_initStaticObject`): handing it to each heartbeat's request and
    /// dropping it on the server touch no reference count. Built with `Array("{}".utf8)` it was a
    /// heap array behind a lazy global, retained by the node and released by the server on every
    /// idle heartbeat (two atomic operations, `perf`: 0.33 % of the day's first hour at 10,000
    /// nodes in the retain alone).
    private static let emptyObject: [UInt8] = [0x7B, 0x7D]

    /// `{attempt?, chunkId, publicKey?, result}`.
    public static func chunkComplete(chunkID: ChunkID, attempt: Int?, result: ChunkResult, publicKey: PublicKey?) -> [UInt8] {
        var w = CanonicalJSONWriter(capacity: 400)
        w.beginObject()
        if let attempt {
            w.key("attempt")
            w.int(attempt)
        }
        w.key("chunkId")
        w.identifier(chunkID.raw)
        if let publicKey {
            w.key("publicKey")
            w.string(publicKey.base64)
        }
        w.raw(",\"result\":")  // after the id or the key: always a member before it
        DPSResultJSON.write(result, into: &w)
        w.endObject()
        return w.bytes
    }

    /// The `computing` list of a signed node's heartbeat in canonical layout; nil: use the
    /// general path. Ids and decimals are read from the bytes (`quotedIdentifier`,
    /// `quotedDecimal`): no `String` per value; an escaped spelling goes the general way.
    static func readHeartbeatComputing(_ body: [UInt8], limit: Int) -> [ChunkID]? {
        var r = CanonicalJSONReader(body)
        if r.literal("{}") { return r.atEnd ? [] : nil }
        guard r.literal("{\"computing\":[") else { return nil }
        var ids: [ChunkID] = []
        ids.reserveCapacity(8)
        while true {
            guard let id = r.quotedIdentifier() else { return nil }
            ids.append(ChunkID(id))
            guard ids.count <= limit else { return nil }
            if r.literal("]}") { break }
            guard r.literal(",") else { return nil }
        }
        return r.atEnd ? ids : nil
    }

    /// A signed node's completion in canonical layout (`attempt` present or not, no
    /// `publicKey`); nil: use the general path. The result is validated as
    /// `ChunkResult(json:)` validates it; its Double fields must be valid numbers and are
    /// ignored, as there: checked with `skipNumber` (the parser's answer, no conversion).
    static func readChunkComplete(_ body: [UInt8]) -> (chunkID: ChunkID, attempt: Int?, result: ChunkResult)? {
        var r = CanonicalJSONReader(body)
        var attempt: Int? = nil
        if r.literal("{\"attempt\":") {
            guard let a = r.int(), r.literal(",\"chunkId\":") else { return nil }
            attempt = a
        } else if !r.literal("{\"chunkId\":") {
            return nil
        }
        guard let chunkID = r.quotedIdentifier().map(ChunkID.init),
            r.literal(",\"result\":{\"damageSquaresSum\":"), let squares = r.quotedDecimal(UInt128.self),
            r.literal(",\"damageSum\":"), let sum = r.quotedDecimal(UInt128.self),
            r.literal(",\"fightLengthSeconds\":"), let fight = fieldInt(&r),
            r.literal(",\"iterations\":"), let iterations = fieldInt(&r),
            r.literal(",\"m2\":"), r.skipNumber(),
            r.literal(",\"maxDamage\":"), let maxDamage = r.quotedDecimal(UInt64.self),
            r.literal(",\"maxDps\":"), r.skipNumber(),
            r.literal(",\"meanDps\":"), r.skipNumber(),
            r.literal(",\"minDamage\":"), let minDamage = r.quotedDecimal(UInt64.self),
            r.literal(",\"minDps\":"), r.skipNumber(),
            r.literal(",\"stddev\":"), r.skipNumber(),
            r.literal(",\"variance\":"), r.skipNumber(),
            r.literal("}}"), r.atEnd,
            let tally = try? DamageTally(
                validatingFightLengthSeconds: fight, iterations: iterations, damageSum: sum, damageSquaresSum: squares,
                minDamage: minDamage, maxDamage: maxDamage)
        else { return nil }
        return (chunkID, attempt, ChunkResult(tally: tally))
    }

    /// An integer as `ConfigFieldReader.int` reads one (at most 2^53 in magnitude).
    private static func fieldInt(_ r: inout CanonicalJSONReader) -> Int? {
        guard let d = r.number(), d.rounded(.towardZero) == d, abs(d) <= 9_007_199_254_740_992 else { return nil }
        return Int(d)
    }
}

extension DPSResultJSON {
    /// `encode(result).canonicalBytes`, written directly (keys in canonical order). The
    /// variance is computed once for both of its fields (`stddev` is its square root: the same
    /// bits; each is an exact 256-bit quotient, about 500 instructions).
    static func write(_ result: some DPSStatistics, into w: inout CanonicalJSONWriter) {
        let variance = result.variance
        // Each member's key with the comma before it and the colon after, as one block
        // (`raw`): the values after a colon take no separator.
        w.beginObject()
        w.raw("\"damageSquaresSum\":"); w.decimalString(result.damageSquaresSum)
        w.raw(",\"damageSum\":"); w.decimalString(result.damageSum)
        w.raw(",\"fightLengthSeconds\":"); w.int(result.fightLengthSeconds)
        w.raw(",\"iterations\":"); w.int(result.iterations)
        w.raw(",\"m2\":"); w.number(result.m2)
        w.raw(",\"maxDamage\":"); w.decimalString(result.maxDamage)
        w.raw(",\"maxDps\":"); w.number(result.maxDPS)
        w.raw(",\"meanDps\":"); w.number(result.meanDPS)
        w.raw(",\"minDamage\":"); w.decimalString(result.minDamage)
        w.raw(",\"minDps\":"); w.number(result.minDPS)
        w.raw(",\"stddev\":"); w.number(variance.squareRoot())
        w.raw(",\"variance\":"); w.number(variance)
        w.endObject()
    }
}
