import CLibPQ
import JobSystem

/// A statement's result, copied out of libpq (text format) so the `PGresult` is freed at once.
/// Typed accessors throw `.database` on a value that does not parse: a schema mismatch, never
/// silently a default.
public struct PGRows: Sendable {
    public let columns: Int
    private let values: [String?]
    /// Rows affected, for commands (`PQcmdTuples`).
    public let affected: Int

    init(_ result: OpaquePointer) {
        let rows = Int(PQntuples(result)), columns = Int(PQnfields(result))
        var values: [String?] = []
        values.reserveCapacity(rows * columns)
        for r in 0..<rows {
            for c in 0..<columns {
                if PQgetisnull(result, Int32(r), Int32(c)) == 1 {
                    values.append(nil)
                } else {
                    values.append(String(cString: PQgetvalue(result, Int32(r), Int32(c))))
                }
            }
        }
        self.columns = columns
        self.values = values
        self.affected = Int(String(cString: PQcmdTuples(result))) ?? 0
    }

    public var count: Int { columns == 0 ? 0 : values.count / columns }
    public var isEmpty: Bool { count == 0 }

    public subscript(row: Int) -> PGRow { PGRow(rows: self, row: row) }

    public var all: [PGRow] { (0..<count).map { self[$0] } }
    public var first: PGRow? { isEmpty ? nil : self[0] }

    func value(_ row: Int, _ column: Int) -> String? { values[row * columns + column] }
}

/// One row; columns by position, as the statement selected them.
public struct PGRow: Sendable {
    let rows: PGRows
    let row: Int

    public func isNull(_ c: Int) -> Bool { rows.value(row, c) == nil }

    public func string(_ c: Int) throws(StoreError) -> String {
        guard let v = rows.value(row, c) else { throw Self.bad(c, "NULL", "text") }
        return v
    }
    public func optionalString(_ c: Int) -> String? { rows.value(row, c) }

    public func int(_ c: Int) throws(StoreError) -> Int {
        guard let v = rows.value(row, c), let n = Int(v) else { throw Self.bad(c, rows.value(row, c), "integer") }
        return n
    }
    public func int64(_ c: Int) throws(StoreError) -> Int64 {
        guard let v = rows.value(row, c), let n = Int64(v) else { throw Self.bad(c, rows.value(row, c), "bigint") }
        return n
    }
    public func optionalInt(_ c: Int) throws(StoreError) -> Int? { isNull(c) ? nil : try int(c) }

    public func bool(_ c: Int) throws(StoreError) -> Bool {
        switch rows.value(row, c) {
        case "t": return true
        case "f": return false
        case let v: throw Self.bad(c, v, "boolean")
        }
    }

    /// A uuid column as a typed id.
    public func id<Tag>(_ c: Int, _: Tag.Type = Tag.self) throws(StoreError) -> TypedID<Tag> {
        guard let v = rows.value(row, c), let id = TypedID<Tag>(uuidString: v) else { throw Self.bad(c, rows.value(row, c), "uuid") }
        return id
    }
    public func optionalID<Tag>(_ c: Int, _: Tag.Type = Tag.self) throws(StoreError) -> TypedID<Tag>? {
        isNull(c) ? nil : try id(c, Tag.self)
    }

    /// A timestamp selected as `epoch_us(column)`.
    public func timestamp(_ c: Int) throws(StoreError) -> Timestamp { Timestamp(micros: try int64(c)) }
    public func optionalTimestamp(_ c: Int) throws(StoreError) -> Timestamp? { isNull(c) ? nil : try timestamp(c) }

    public func configHash(_ c: Int) throws(StoreError) -> ConfigHash {
        guard let v = rows.value(row, c), let h = ConfigHash(hex: v) else { throw Self.bad(c, rows.value(row, c), "config hash") }
        return h
    }

    public func status<S: RawRepresentable>(_ c: Int, _: S.Type = S.self) throws(StoreError) -> S where S.RawValue == String {
        guard let v = rows.value(row, c), let s = S(rawValue: v) else { throw Self.bad(c, rows.value(row, c), "\(S.self)") }
        return s
    }

    static func bad(_ c: Int, _ value: String?, _ type: String) -> StoreError {
        .database(sqlState: "XX000", message: "column \(c): \(value ?? "NULL") is not a valid \(type)")
    }
}

/// Spelling Swift values as text parameters.
enum PGParam {
    static func uuid<Tag>(_ id: TypedID<Tag>) -> String { id.uuidString }
    static func uuids<Tag>(_ ids: [TypedID<Tag>]) -> String { "{" + ids.map(\.uuidString).joined(separator: ",") + "}" }
    /// An interval in microseconds, used in SQL as `$n::bigint * interval '1 microsecond'`.
    static func micros(_ i: Interval) -> String { String(i.micros) }
    static func bool(_ b: Bool) -> String { b ? "t" : "f" }
}
