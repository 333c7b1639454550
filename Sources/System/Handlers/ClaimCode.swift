/// The 6-character code a node shows its owner, who types it into the portal to claim it.
public enum ClaimCode {
    /// Crockford base32: no I, L, O, U, so what is read aloud is what is typed.
    static let alphabet: [Character] = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")

    /// The first 30 bits of SHA-256(public key bytes), most significant first, as 6 Crockford
    /// base32 characters. Derived, not stored by the node: it can be recomputed from the key, and
    /// a node re-registering gets the same code. 30 bits collide among unclaimed nodes only in
    /// very large fleets; the store then refuses the ambiguous code.
    public static func derive(from key: PublicKey, hasher: some SHA256Hashing) -> String {
        let digest = hasher.sha256(key.bytes).bytes
        let bits = (UInt32(digest[0]) << 24 | UInt32(digest[1]) << 16 | UInt32(digest[2]) << 8 | UInt32(digest[3])) >> 2
        var code = ""
        for position in stride(from: 25, through: 0, by: -5) {
            code.append(alphabet[Int(bits >> UInt32(position) & 31)])
        }
        return code
    }

    /// What a user typed, read as Crockford intends: case-insensitive, `O` as `0`, `I`/`L` as
    /// `1`, hyphens and spaces ignored.
    public static func normalize(_ typed: String) -> String {
        var out = ""
        for character in typed.uppercased() {
            switch character {
            case "-", " ": continue
            case "O": out.append("0")
            case "I", "L": out.append("1")
            default: out.append(character)
            }
        }
        return out
    }
}
