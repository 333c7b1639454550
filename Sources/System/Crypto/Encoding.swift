/// Byte ↔ text encodings used on the wire (headers, hashes, serialized Bloom filters).
///
/// Written by hand rather than taken from Foundation so that the reference implementation has no
/// platform-dependent behaviour, and decoding is strict: every string has exactly one accepted
/// spelling per byte sequence, so a signature or key cannot be smuggled in under an alternative
/// encoding (which would, for instance, defeat a replay cache keyed on the header text).

import CBase64

/// Standard base64 (RFC 4648 §4: `A–Z a–z 0–9 + /`) with `=` padding.
public enum Base64 {
    private static let alphabet: [UInt8] = Array(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Reverse table: 0...63 for alphabet bytes, 0xFF otherwise.
    private static let reverse: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, byte) in alphabet.enumerated() { table[Int(byte)] = UInt8(index) }
        return table
    }()

    /// Encodes with padding; the output length is always a multiple of 4. Written straight into
    /// the string's storage (every signed request spells its key and signature this way).
    public static func encode(_ bytes: [UInt8]) -> String {
        bytes.withUnsafeBytes { encode(raw: $0) }
    }

    /// Each 12-bit value's two characters, the first in the low byte (stored little-endian,
    /// they are in order): 8 KiB, so a group of three bytes is spelled with two loads.
    private static let pairs: [UInt16] = (0..<4096).map { UInt16(alphabet[$0 >> 6]) | UInt16(alphabet[$0 & 63]) << 8 }

    /// `encode` of the bytes in `input` (a key's or a signature's inline storage).
    public static func encode(raw input: UnsafeRawBufferPointer) -> String {
        let length = encodedCount(input.count)
        guard length > 0 else { return "" }
        return String(unsafeUninitializedCapacity: length) { out in
            write(raw: input, to: UnsafeMutableRawPointer(out.baseAddress!))
        }
    }

    /// The length of the padded base64 of `byteCount` bytes.
    @inline(__always)
    public static func encodedCount(_ byteCount: Int) -> Int { (byteCount + 2) / 3 * 4 }

    /// Writes the padded base64 of `input` at `target` (room for `encodedCount(input.count)`
    /// bytes) and returns how many bytes it wrote. Each three bytes are spelled as two pairs of
    /// characters (`pairs`), six at a time while eight can be loaded, the last one or two bytes
    /// padded. A node writes its signature's text this way straight into the buffer its headers
    /// are read from (`NodeSignedHeaderText`): no `String`, so no allocation and no UTF-8 check.
    ///
    /// 64 bytes (a signature, on every signed request) go through `cbase64_encode64` when the
    /// CPU has SSSE3: sixteen characters a step, the same text (`CBase64Tests`).
    @discardableResult
    public static func write(raw input: UnsafeRawBufferPointer, to target: UnsafeMutableRawPointer) -> Int {
        guard let source = input.baseAddress, input.count > 0 else { return 0 }
        if input.count == 64,
            cbase64_encode64(source.assumingMemoryBound(to: UInt8.self), target.assumingMemoryBound(to: UInt8.self)) == 1
        {
            return 88
        }
        return writeByTable(source, count: input.count, to: target)
    }

    /// `write`'s loop over `pairs`, for `count` (at least 1) bytes at `source`.
    private static func writeByTable(_ source: UnsafeRawPointer, count: Int, to target: UnsafeMutableRawPointer) -> Int {
        pairs.withUnsafeBufferPointer { table in
            func byte(_ i: Int) -> Int { Int(source.load(fromByteOffset: i, as: UInt8.self)) }
            func spell(_ group: Int, at o: Int) {  // a 24-bit group's four characters
                target.storeBytes(of: table[group >> 12].littleEndian, toByteOffset: o, as: UInt16.self)
                target.storeBytes(of: table[group & 0xFFF].littleEndian, toByteOffset: o &+ 2, as: UInt16.self)
            }
            var index = 0, o = 0
            // Six bytes (two groups) per load of eight, their eight characters stored at once.
            while index &+ 8 <= count {
                let w = UInt64(bigEndian: source.loadUnaligned(fromByteOffset: index, as: UInt64.self))
                let g1 = Int(truncatingIfNeeded: w >> 40), g2 = Int(truncatingIfNeeded: w >> 16) & 0xFF_FFFF
                let characters = UInt64(table[g1 >> 12]) | UInt64(table[g1 & 0xFFF]) << 16
                    | UInt64(table[g2 >> 12]) << 32 | UInt64(table[g2 & 0xFFF]) << 48
                target.storeBytes(of: characters.littleEndian, toByteOffset: o, as: UInt64.self)
                index &+= 6
                o &+= 8
            }
            while index &+ 3 <= count {
                spell(byte(index) << 16 | byte(index &+ 1) << 8 | byte(index &+ 2), at: o)
                index &+= 3
                o &+= 4
            }
            switch count - index {
            case 1:
                spell(byte(index) << 16, at: o)
                target.storeBytes(of: UInt8(ascii: "="), toByteOffset: o &+ 2, as: UInt8.self)
                target.storeBytes(of: UInt8(ascii: "="), toByteOffset: o &+ 3, as: UInt8.self)
                o &+= 4
            case 2:
                spell(byte(index) << 16 | byte(index &+ 1) << 8, at: o)
                target.storeBytes(of: UInt8(ascii: "="), toByteOffset: o &+ 3, as: UInt8.self)
                o &+= 4
            default:
                break
            }
            return o
        }
    }

    /// Strict decoding. Returns `nil` unless the text is canonical padded base64: length a
    /// multiple of 4, only alphabet characters, `=` only as the final one or two characters,
    /// and the unused low bits of the last symbol zero (so `encode(decode(s)!) == s`).
    /// No whitespace, no URL-safe alphabet, no missing padding.
    public static func decode(_ text: String) -> [UInt8]? {
        var text = text
        return text.withUTF8 { input in
            guard input.count % 4 == 0 else { return nil }
            var valid = true
            let decoded = [UInt8](unsafeUninitializedCapacity: input.count / 4 * 3) { out, initialized in
                if let count = decode(input, into: UnsafeMutableRawBufferPointer(out)) {
                    initialized = count
                } else {
                    initialized = 0
                    valid = false
                }
            }
            return valid ? decoded : nil
        }
    }

    /// Strictly decodes (as `decode`) base64 of exactly 32 bytes straight into inline storage
    /// (the `X-Node-Key` of every signed request); `nil` otherwise.
    public static func decode32(_ text: String) -> Bytes32? { decodeInline(text) }

    /// Strictly decodes base64 of exactly 64 bytes straight into inline storage (the
    /// `X-Node-Sig` of every signed request); `nil` otherwise.
    public static func decode64(_ text: String) -> Bytes64? { decodeInline(text) }

    /// `decode32` of UTF-8 bytes (a header value read in place).
    static func decode32(utf8: UnsafeBufferPointer<UInt8>) -> Bytes32? { decodeInline(utf8) }

    /// `decode64` of UTF-8 bytes (a header value read in place).
    static func decode64(utf8: UnsafeBufferPointer<UInt8>) -> Bytes64? { decodeInline(utf8) }

    /// Strictly decodes base64 of exactly `B.byteCount` bytes into a `B`; `nil` otherwise.
    private static func decodeInline<B: InlineBytes>(_ text: String) -> B? {
        var text = text
        return text.withUTF8 { decodeInline($0) }
    }

    /// `decodeInline` of the text's UTF-8 bytes. A key (32 bytes) and a signature (64), which
    /// every signed request carries, are decoded by `CBase64` on SSSE3 (sixteen characters a
    /// step, about a third of `decodeExact`'s instructions; the same answers, `CBase64Tests`),
    /// by `decodeExact` on a CPU without it.
    @inline(__always)
    private static func decodeInline<B: InlineBytes>(_ input: UnsafeBufferPointer<UInt8>) -> B? {
        var value = B()
        return decode(utf8: input, into: &value) ? value : nil
    }

    /// `decodeInline` into `value` (no optional made and copied out): true if `input` is the
    /// canonical padded base64 of `B.byteCount` bytes, which `value` then holds; false
    /// otherwise, with `value` holding unspecified bytes.
    @inline(__always)
    static func decode<B: InlineBytes>(utf8 input: UnsafeBufferPointer<UInt8>, into value: inout B) -> Bool {
        // Padded base64 of n bytes is 4·⌈n/3⌉ characters: the only length that decodes to n.
        guard input.count == (B.byteCount + 2) / 3 * 4, let source = input.baseAddress else { return false }
        return value.withUnsafeMutableBytes { out -> Bool in
            let target = out.baseAddress!.assumingMemoryBound(to: UInt8.self)
            let vector: Int32 =
                B.byteCount == 32 ? cbase64_decode32(source, target)
                : B.byteCount == 64 ? cbase64_decode64(source, target) : -1
            return vector >= 0 ? vector == 1 : decodeExact(input, into: out)
        }
    }

    /// Whether this build and CPU decode keys and signatures by `CBase64` (for tests, which
    /// otherwise would compare the loop with itself on a CPU without SSSE3).
    static var hasVectorPath: Bool {
        var out = [UInt8](repeating: 0, count: 32)
        let text = [UInt8](repeating: UInt8(ascii: "A"), count: 43) + [UInt8(ascii: "=")]
        return cbase64_decode32(text, &out) >= 0
    }

    /// `decodeInline` by `Base64`'s own loop whatever the CPU (for tests that compare the two).
    static func decodeWithoutVector<B: InlineBytes>(_ input: UnsafeBufferPointer<UInt8>) -> B? {
        guard input.count == (B.byteCount + 2) / 3 * 4 else { return nil }
        var value = B()
        return value.withUnsafeMutableBytes { decodeExact(input, into: $0) } ? value : nil
    }

    /// `write` by `Base64`'s own loop whatever the CPU (for tests that compare the two).
    static func writeWithoutVector(raw input: UnsafeRawBufferPointer, to target: UnsafeMutableRawPointer) -> Int {
        guard let source = input.baseAddress, input.count > 0 else { return 0 }
        return writeByTable(source, count: input.count, to: target)
    }

    /// `reverse` once per position of a quantum, shifted to where that symbol's six bits sit in
    /// the quantum's 24-bit value (`positioned[k * 256 + byte]`, k = 0...3: bits 18, 12, 6, 0),
    /// with 0x8000_0000 for a byte outside the alphabet: a whole quantum is four loads ORed
    /// together, its validity the high bit. 4 KiB.
    private static let positioned: [UInt32] = (0..<1024).map { entry in
        let symbol = reverse[entry & 0xFF]
        return symbol == 0xFF ? 0x8000_0000 : UInt32(symbol) << UInt32(18 - 6 * (entry >> 8))
    }

    /// Strict decoding of base64 that must spell exactly `out.count` bytes (not a multiple of
    /// 3), given `input.count == (out.count + 2) / 3 * 4`: accepts exactly what `decode` accepts
    /// at that length. Whole quanta are decoded without branches (`positioned`: four loads
    /// ORed, a symbol outside the alphabet, `=` included, setting the high bit, which is
    /// collected and checked once) and stored as one big-endian 32-bit word each, whose fourth
    /// byte the next quantum (or the last one) overwrites: since `out.count` is not a multiple
    /// of 3, every whole quantum has that byte of room. The last quantum must be the one padded
    /// form that spells the remaining one or two bytes, with its unused low bits zero.
    private static func decodeExact(_ input: UnsafeBufferPointer<UInt8>, into out: UnsafeMutableRawBufferPointer) -> Bool {
        let remainder = out.count % 3
        precondition(remainder != 0 && input.count == (out.count + 2) / 3 * 4)
        guard let source = input.baseAddress, let target = out.baseAddress else { return false }
        return positioned.withUnsafeBufferPointer { table -> Bool in
            let t = table.baseAddress!
            var invalid: UInt32 = 0
            var o = 0, i = 0
            for _ in 0..<(out.count / 3) {
                let v = t[Int(source[i])] | t[256 &+ Int(source[i &+ 1])]
                    | t[512 &+ Int(source[i &+ 2])] | t[768 &+ Int(source[i &+ 3])]
                invalid |= v
                target.storeBytes(of: (v << 8).bigEndian, toByteOffset: o, as: UInt32.self)
                o &+= 3
                i &+= 4
            }
            let ab = t[Int(source[i])] | t[256 &+ Int(source[i &+ 1])]
            invalid |= ab
            if remainder == 1 {
                guard source[i &+ 2] == UInt8(ascii: "="), source[i &+ 3] == UInt8(ascii: "="), ab & 0xF000 == 0 else { return false }
                target.storeBytes(of: UInt8(truncatingIfNeeded: ab >> 16), toByteOffset: o, as: UInt8.self)
            } else {
                let abc = ab | t[512 &+ Int(source[i &+ 2])]
                invalid |= abc
                guard source[i &+ 3] == UInt8(ascii: "="), abc & 0xC0 == 0 else { return false }
                target.storeBytes(of: UInt8(truncatingIfNeeded: abc >> 16), toByteOffset: o, as: UInt8.self)
                target.storeBytes(of: UInt8(truncatingIfNeeded: abc >> 8), toByteOffset: o &+ 1, as: UInt8.self)
            }
            return invalid & 0x8000_0000 == 0
        }
    }

    /// The decoding core: writes the bytes of `input` into `out` (at least `input.count / 4 * 3`
    /// bytes) and returns how many, or `nil` if `input` is not canonical padded base64.
    private static func decode(_ input: UnsafeBufferPointer<UInt8>, into out: UnsafeMutableRawBufferPointer) -> Int? {
        guard input.count % 4 == 0, out.count >= input.count / 4 * 3 else { return nil }
        return reverse.withUnsafeBufferPointer { reverse -> Int? in
            var o = 0
            var index = 0
            while index < input.count {
                let isLast = index + 4 == input.count
                let c0 = reverse[Int(input[index])]
                let c1 = reverse[Int(input[index + 1])]
                guard c0 != 0xFF, c1 != 0xFF else { return nil }
                let p2 = input[index + 2] == UInt8(ascii: "=")
                let p3 = input[index + 3] == UInt8(ascii: "=")
                if p2 || p3 {
                    // Padding is only legal in the last quantum, and "x=y" is never legal.
                    guard isLast, p3 else { return nil }
                    if p2 {
                        guard c1 & 0x0F == 0 else { return nil }
                        out[o] = c0 << 2 | c1 >> 4
                        o += 1
                    } else {
                        let c2 = reverse[Int(input[index + 2])]
                        guard c2 != 0xFF, c2 & 0x03 == 0 else { return nil }
                        out[o] = c0 << 2 | c1 >> 4
                        out[o + 1] = c1 << 4 | c2 >> 2
                        o += 2
                    }
                } else {
                    let c2 = reverse[Int(input[index + 2])]
                    let c3 = reverse[Int(input[index + 3])]
                    guard c2 != 0xFF, c3 != 0xFF else { return nil }
                    out[o] = c0 << 2 | c1 >> 4
                    out[o + 1] = c1 << 4 | c2 >> 2
                    out[o + 2] = c2 << 6 | c3
                    o += 3
                }
                index += 4
            }
            return o
        }
    }
}

/// Hexadecimal: lowercase on output (the spelling of digests and config hashes), either case on
/// input.
public enum Hex {
    /// Lowercase hex, two characters per byte.
    public static func encode(_ bytes: [UInt8]) -> String {
        guard !bytes.isEmpty else { return "" }
        return String(unsafeUninitializedCapacity: bytes.count * 2) { out in write(bytes, into: out) }
    }

    /// Writes the lowercase hex of `bytes` at the start of `out` (which holds at least twice
    /// as many bytes); returns the count written.
    @discardableResult
    static func write(_ bytes: [UInt8], into out: UnsafeMutableBufferPointer<UInt8>) -> Int {
        bytes.withUnsafeBytes { write(raw: $0, into: out) }
    }

    /// `encode` of the bytes in `input` (a digest's inline storage).
    public static func encode(raw input: UnsafeRawBufferPointer) -> String {
        guard !input.isEmpty else { return "" }
        return String(unsafeUninitializedCapacity: input.count * 2) { out in write(raw: input, into: out) }
    }

    /// Each byte's two lowercase digits, the first in the low byte (stored little-endian, they
    /// are in order): 512 bytes.
    private static let digitPairs: [UInt16] = (0..<256).map { byte in
        let digits = Array("0123456789abcdef".utf8)
        return UInt16(digits[byte >> 4]) | UInt16(digits[byte & 15]) << 8
    }

    /// `write` of the bytes in `input`: four bytes at a time, their eight digits gathered from
    /// `digitPairs` into one word and stored at once (about 18 instructions where `spell`'s
    /// arithmetic took about 28: the signed message spells a digest on both sides of every
    /// request), the rest one by one.
    @discardableResult
    static func write(raw input: UnsafeRawBufferPointer, into out: UnsafeMutableBufferPointer<UInt8>) -> Int {
        precondition(out.count >= 2 * input.count, "hex output buffer too small")
        guard let source = input.baseAddress, let target = out.baseAddress else { return 0 }
        let destination = UnsafeMutableRawPointer(target)
        return digitPairs.withUnsafeBufferPointer { table in
            let t = table.baseAddress!
            func pair(_ i: Int) -> UInt64 { UInt64(t[Int(source.load(fromByteOffset: i, as: UInt8.self))]) }
            var i = 0
            while i &+ 4 <= input.count {
                let word = pair(i) | pair(i &+ 1) << 16 | pair(i &+ 2) << 32 | pair(i &+ 3) << 48
                destination.storeBytes(of: word.littleEndian, toByteOffset: 2 &* i, as: UInt64.self)
                i &+= 4
            }
            while i < input.count {
                destination.storeBytes(of: UInt16(truncatingIfNeeded: pair(i)).littleEndian, toByteOffset: 2 &* i, as: UInt16.self)
                i &+= 1
            }
            return 2 &* input.count
        }
    }

    /// The eight lowercase hex digits of `x`, most significant first, as the bytes of a
    /// `UInt64` stored little-endian (`storeBytes(of: spell(x).littleEndian, ...)`): the
    /// nibbles are spread one per byte and turned into digits in all eight lanes at once (no
    /// table, no branch).
    @inline(__always)
    static func spell(_ x: UInt32) -> UInt64 {
        var v = UInt64(x)
        v = (v | v << 16) & 0x0000_FFFF_0000_FFFF
        v = (v | v << 8) & 0x00FF_00FF_00FF_00FF
        v = (v | v << 4) & 0x0F0F_0F0F_0F0F_0F0F  // nibble k (from the least significant) in byte k
        v = v.byteSwapped  // the most significant digit first in memory
        // Each byte n (0...15) becomes "0"..."9" (n + 0x30) or "a"..."f" (n + 0x30 + 0x27):
        // n + 6 carries into bit 4 exactly when n > 9, never into the next byte.
        let letters = ((v &+ 0x0606_0606_0606_0606) >> 4) & 0x0101_0101_0101_0101
        return v &+ 0x3030_3030_3030_3030 &+ letters &* 0x27
    }

    /// Decodes an even number of hex digits (`0-9 a-f A-F`, nothing else); `nil` otherwise.
    public static func decode(_ text: String) -> [UInt8]? {
        let input = Array(text.utf8)
        guard input.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(input.count / 2)
        var index = 0
        while index < input.count {
            guard let high = nibble(input[index]), let low = nibble(input[index + 1]) else { return nil }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }

    /// Decodes exactly 64 hex digits (either case) straight into inline storage (a digest);
    /// `nil` otherwise.
    public static func decode32(_ text: String) -> Bytes32? {
        var text = text
        return text.withUTF8 { input -> Bytes32? in
            guard input.count == 64 else { return nil }
            var value = Bytes32()
            let valid = value.withUnsafeMutableBytes { out -> Bool in
                for i in 0..<32 {
                    guard let high = nibble(input[2 &* i]), let low = nibble(input[2 &* i &+ 1]) else { return false }
                    out[i] = high << 4 | low
                }
                return true
            }
            return valid ? value : nil
        }
    }

    private static func nibble(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
