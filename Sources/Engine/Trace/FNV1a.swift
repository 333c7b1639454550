/// FNV-1a 64: the byte loop that `streamKey`, `TraceDigest.fold(String)` and
/// `TraceDigest.fold([UInt8])` (below `vectorMinimum` bytes, or without AVX-512) share.
/// Generic and inlinable, so each caller gets the loop specialised for its bytes (a buffer of
/// contiguous UTF-8, an array, a `String.UTF8View`), as the copies it replaced were.
/// (`ctracefold.c` keeps its own loop for its C callers.)
///
/// FNV-1a 64 of `bytes`, a byte at a time: from the offset basis, `h = (h ^ b) · 0x100000001B3
/// mod 2^64` a byte.
@inlinable
func fnv1a64<Bytes: Sequence>(_ bytes: Bytes) -> UInt64 where Bytes.Element == UInt8 {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
    return h
}
