/// The jsonb form of chunk and simulation results.
///
/// ```
/// { "iterations": 1000, "fightLengthSeconds": 300,
///   "damageSum": "…", "damageSquaresSum": "…", "minDamage": "…", "maxDamage": "…",
///   "meanDps": …, "m2": …, "variance": …, "stddev": …, "minDps": …, "maxDps": … }
/// ```
/// The exact accumulators are decimal strings because JSON numbers are doubles to most readers
/// (exact only below 2^53) and these reach 2^128. They are authoritative: the Double fields are
/// written for readers such as the portal and are ignored on decode (recomputed instead), so a
/// record can never carry statistics that disagree with its tally.
enum DPSResultJSON {
    static func encode(_ result: some DPSStatistics) -> JSONValue {
        .object([
            "iterations": .number(Double(result.iterations)),
            "fightLengthSeconds": .number(Double(result.fightLengthSeconds)),
            "damageSum": .string(String(result.damageSum)),
            "damageSquaresSum": .string(String(result.damageSquaresSum)),
            "minDamage": .string(String(result.minDamage)),
            "maxDamage": .string(String(result.maxDamage)),
            "meanDps": .number(result.meanDPS),
            "m2": .number(result.m2),
            "variance": .number(result.variance),
            "stddev": .number(result.stddev),
            "minDps": .number(result.minDPS),
            "maxDps": .number(result.maxDPS),
        ])
    }

    static func decode(_ json: JSONValue) throws(ResultDecodingError) -> DamageTally {
        let r: ConfigFieldReader
        let iterations: Int
        let fightLength: Int
        do {
            r = try ConfigFieldReader(json, path: "")
            iterations = try r.int("iterations")
            fightLength = try r.int("fightLengthSeconds")
        } catch {
            throw translate(error)
        }
        return try DamageTally(
            validatingFightLengthSeconds: fightLength, iterations: iterations,
            damageSum: decimal(r, "damageSum"), damageSquaresSum: decimal(r, "damageSquaresSum"),
            minDamage: decimal(r, "minDamage"), maxDamage: decimal(r, "maxDamage"))
    }

    /// A canonical unsigned decimal string (digits only, no leading zeros) that fits `T`.
    private static func decimal<T: FixedWidthInteger & UnsignedInteger>(
        _ r: ConfigFieldReader, _ key: String
    ) throws(ResultDecodingError) -> T {
        let text: String
        do { text = try r.string(key) } catch { throw translate(error) }
        let utf8 = text.utf8
        guard let first = utf8.first, utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
            first != UInt8(ascii: "0") || utf8.count == 1, let value = T(text)
        else { throw .wrongType(field: key, expected: "decimal string of a \(T.bitWidth)-bit unsigned integer") }
        return value
    }

    /// The field reader speaks `ConfigError`; only its field-shape cases can occur here.
    private static func translate(_ error: ConfigError) -> ResultDecodingError {
        switch error {
        case .missingField(let field): .missingField(field)
        case .wrongType(let field, let expected): .wrongType(field: field, expected: expected)
        default: .inconsistent(error.description)
        }
    }
}
