import PostgresStore
import JobSystem

/// Portal users and their API tokens (migration `0005`): how a user is known to the HTTP API.
///
/// A token is `shk_` followed by 256 random bits (base64url), shown once when issued; the
/// database keeps only its SHA-256, so a leaked database dump authenticates nobody. A fast hash
/// is right here (unlike for passwords): there is nothing to brute-force in 256 random bits.
/// Tokens are revoked, never deleted, so who held one stays on record. The portal presents it
/// as `Authorization: Bearer <token>`; `sentinel user add NAME` issues one.
public enum UserTokens {
    public static let prefix = "shk_"

    public struct Issued: Sendable, Equatable {
        public var userID: UserID
        public var token: String
    }

    /// A new token: `shk_` + 43 base64url characters of the system's secure random generator.
    public static func newToken() -> String {
        var rng = SystemRandomNumberGenerator()
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        for _ in 0..<4 {
            withUnsafeBytes(of: rng.next() as UInt64) { bytes.append(contentsOf: $0) }
        }
        let base64 = Base64.encode(bytes)
        let url = String(base64.compactMap { c -> Character? in
            switch c {
            case "+": return "-"
            case "/": return "_"
            case "=": return nil
            default: return c
            }
        })
        return prefix + url
    }

    /// Lowercase hex SHA-256 of the token's UTF-8: what the database stores.
    public static func digest(_ token: String) -> String {
        SodiumSHA256().sha256(Array(token.utf8)).hex
    }

    /// Creates the user `name` (a new id) and issues its first token. `.uniqueViolation` if the
    /// name is taken.
    public static func addUser(name: String, discordID: String?, label: String = "", on db: PGConnection) throws(StoreError) -> Issued {
        try db.transaction(.readCommitted) { (db: PGConnection) throws(StoreError) -> Issued in
            let user: UserID = try db.execute(
                "INSERT INTO users (id, name, discord_id) VALUES (gen_random_uuid(), $1, $2) RETURNING id", [name, discordID]
            ).first!.id(0)
            return Issued(userID: user, token: try insertToken(user: user, label: label, on: db))
        }
    }

    /// A further token for the existing user `name`; `nil` if there is no such user.
    public static func issueToken(userName name: String, label: String = "", on db: PGConnection) throws(StoreError) -> Issued? {
        try db.transaction(.readCommitted) { (db: PGConnection) throws(StoreError) -> Issued? in
            guard let row = try db.execute("SELECT id FROM users WHERE name = $1", [name]).first else { return nil }
            let user: UserID = try row.id(0)
            return Issued(userID: user, token: try insertToken(user: user, label: label, on: db))
        }
    }

    /// Revokes every live token of user `name`; returns how many.
    public static func revokeTokens(userName name: String, on db: PGConnection) throws(StoreError) -> Int {
        try db.execute("""
            UPDATE api_tokens SET revoked_at = now() WHERE revoked_at IS NULL
              AND user_id = (SELECT id FROM users WHERE name = $1)
            """, [name]).affected
    }

    public struct Listed: Sendable, Equatable {
        public var userID: UserID
        public var name: String
        public var liveTokens: Int
    }

    /// Named users, by name, with their count of live tokens.
    public static func list(on db: PGConnection) throws(StoreError) -> [Listed] {
        try db.execute("""
            SELECT u.id, u.name, (SELECT count(*) FROM api_tokens t WHERE t.user_id = u.id AND t.revoked_at IS NULL)
            FROM users u WHERE u.name IS NOT NULL ORDER BY u.name
            """).all.map { (r: PGRow) throws(StoreError) -> Listed in
            Listed(userID: try r.id(0), name: try r.string(1), liveTokens: try r.int(2))
        }
    }

    /// The user a live token belongs to, or nil. Records its use at most once a minute (a
    /// write on every request would make concurrent requests of one user conflict).
    public static func user(forToken token: String, on db: PGConnection) throws(StoreError) -> UserID? {
        guard token.hasPrefix(prefix), token.utf8.count <= 128 else { return nil }
        let digest = digest(token)
        guard let row = try db.execute(
            "SELECT user_id, last_used_at IS NULL OR last_used_at < now() - interval '1 minute' FROM api_tokens WHERE token_sha256 = $1 AND revoked_at IS NULL",
            [digest]
        ).first else { return nil }
        if try row.bool(1) {
            try db.execute("UPDATE api_tokens SET last_used_at = now() WHERE token_sha256 = $1", [digest])
        }
        return try row.id(0)
    }

    private static func insertToken(user: UserID, label: String, on db: PGConnection) throws(StoreError) -> String {
        let token = newToken()
        try db.execute(
            "INSERT INTO api_tokens (user_id, token_sha256, label) VALUES ($1, $2, $3)",
            [user.uuidString, digest(token), label])
        return token
    }
}
