// Base64 of a signed request's key (32 bytes) and signature (64 bytes) on SSSE3, sixteen
// characters (twelve bytes) per step. The decoding step is the one of Muła and Lemire ("Faster
// Base64 Encoding and Decoding Using AVX2 Instructions", ACM TWEB 2018; the SSSE3 form of
// aklomp/base64): each character is classified by two nibble lookups whose AND is zero exactly
// for the 64 alphabet characters, its six bits found by adding an offset chosen by its high
// nibble ('/' apart), and the sixteen 6-bit values packed by two multiply-adds and a shuffle.
// The encoding step is theirs too: a shuffle puts each group's bytes in place, two multiplies
// cut out the four 6-bit indices, a saturating subtraction and one lookup turn them into
// characters. The padded last group stays scalar, with the same rules as `Base64.decodeExact`.
#include "cbase64.h"

#if defined(__x86_64__)

#include <cpuid.h>
#include <immintrin.h>
#include <string.h>

/// 1 if the CPU has SSSE3 (CPUID leaf 1, ECX bit 9); asked once, at load.
static int ssse3 = 0;

__attribute__((constructor)) static void cbase64_detect(void) {
    unsigned int eax, ebx, ecx, edx;
    if (__get_cpuid(1, &eax, &ebx, &ecx, &edx)) ssse3 = (ecx & (1u << 9)) != 0;
}

/// The 6-bit value of each alphabet byte, 0xFF for every other byte.
static const uint8_t reverse[256] = {
#define X 0xFF
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, 62, X, X, X, 63,
    52, 53, 54, 55, 56, 57, 58, 59, 60, 61, X, X, X, X, X, X,
    X, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
    15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, X, X, X, X, X,
    X, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
    41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
#undef X
};

static const char alphabet[64] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// The twelve bytes of the sixteen characters `text` (in the low twelve lanes); ORs into
/// `*invalid` a nonzero byte for each character outside the alphabet ('=' included).
__attribute__((target("ssse3"))) static inline __m128i decode_block(__m128i text, __m128i *invalid) {
    // Low-nibble classes: bit 0x10 on every row (bytes with the high nibble 0, 1 or 8..F are
    // never in the alphabet); bits 0x01..0x08 mark which high nibbles (2..7) leave a byte
    // outside it for this low nibble.
    const __m128i lut_lo = _mm_setr_epi8(0x15, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
                                         0x11, 0x11, 0x13, 0x1A, 0x1B, 0x1B, 0x1B, 0x1A);
    const __m128i lut_hi = _mm_setr_epi8(0x10, 0x10, 0x01, 0x02, 0x04, 0x08, 0x04, 0x08,
                                         0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10);
    // What to add to a character to get its value, by its high nibble (slot 1: '/', moved
    // there by subtracting one from 2).
    const __m128i lut_roll = _mm_setr_epi8(0, 16, 19, 4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0);
    // 0x2F is both '/' and the nibble mask: a shuffle index reads only bits 0-3 and 7, and the
    // mask clears bit 7, so a byte of 0x80 or more is classified by its low bits, as invalid.
    const __m128i mask_2f = _mm_set1_epi8(0x2F);
    const __m128i hi_nibbles = _mm_and_si128(_mm_srli_epi32(text, 4), mask_2f);
    const __m128i lo_nibbles = _mm_and_si128(text, mask_2f);
    const __m128i lo = _mm_shuffle_epi8(lut_lo, lo_nibbles);
    const __m128i hi = _mm_shuffle_epi8(lut_hi, hi_nibbles);
    *invalid = _mm_or_si128(*invalid, _mm_and_si128(lo, hi));
    const __m128i is_slash = _mm_cmpeq_epi8(text, mask_2f);
    const __m128i values = _mm_add_epi8(text, _mm_shuffle_epi8(lut_roll, _mm_add_epi8(is_slash, hi_nibbles)));
    // a, b, c, d (6 bits each) -> a << 6 | b and c << 6 | d (16 bits) -> 24 bits per group.
    const __m128i pairs = _mm_maddubs_epi16(values, _mm_set1_epi32(0x01400140));
    const __m128i groups = _mm_madd_epi16(pairs, _mm_set1_epi32(0x00011000));
    return _mm_shuffle_epi8(groups, _mm_setr_epi8(2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1));
}

__attribute__((target("ssse3"))) static inline __m128i load16(const uint8_t *p) {
    return _mm_loadu_si128((const __m128i *)p);
}

/// Stores the low twelve lanes of `bytes` at `out`.
__attribute__((target("ssse3"))) static inline void store12(uint8_t *out, __m128i bytes) {
    _mm_storel_epi64((__m128i *)out, bytes);
    const uint32_t tail = (uint32_t)_mm_cvtsi128_si32(_mm_srli_si128(bytes, 8));
    memcpy(out + 8, &tail, 4);
}

/// The padded last group of a value whose length leaves one byte: "xy==" with y's low four
/// bits zero.
static inline int decode_last1(const uint8_t *in, uint8_t *out) {
    const uint32_t a = reverse[in[0]], b = reverse[in[1]];
    if ((a | b) & 0x80 || in[2] != '=' || in[3] != '=' || (b & 0x0F) != 0) return 0;
    out[0] = (uint8_t)(a << 2 | b >> 4);
    return 1;
}

/// The padded last group of a value whose length leaves two bytes: "xyz=" with z's low two
/// bits zero.
static inline int decode_last2(const uint8_t *in, uint8_t *out) {
    const uint32_t a = reverse[in[0]], b = reverse[in[1]], c = reverse[in[2]];
    if ((a | b | c) & 0x80 || in[3] != '=' || (c & 0x03) != 0) return 0;
    out[0] = (uint8_t)(a << 2 | b >> 4);
    out[1] = (uint8_t)(b << 4 | c >> 2);
    return 1;
}

__attribute__((target("ssse3"))) static inline int all_zero(__m128i v) {
    return _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_setzero_si128())) == 0xFFFF;
}

/// 44 characters: blocks at characters 0, 16 and 24 (bytes 0, 12 and 18; the last overlaps the
/// second by six bytes, which both decode alike), then the group "xyz=" for bytes 30 and 31.
__attribute__((target("ssse3"))) static int decode32_ssse3(const uint8_t *in, uint8_t *out) {
    __m128i invalid = _mm_setzero_si128();
    const __m128i b0 = decode_block(load16(in), &invalid);
    const __m128i b1 = decode_block(load16(in + 16), &invalid);
    const __m128i b2 = decode_block(load16(in + 24), &invalid);
    _mm_storeu_si128((__m128i *)out, b0);
    _mm_storeu_si128((__m128i *)(out + 12), b1);
    store12(out + 18, b2);
    const int last = decode_last2(in + 40, out + 30);
    return last & all_zero(invalid);
}

/// 88 characters: blocks at characters 0, 16, ..., 64 and 68 (bytes 0, 12, ..., 48 and 51),
/// then the group "xy==" for byte 63.
__attribute__((target("ssse3"))) static int decode64_ssse3(const uint8_t *in, uint8_t *out) {
    __m128i invalid = _mm_setzero_si128();
    for (int k = 0; k < 5; k++) {
        _mm_storeu_si128((__m128i *)(out + 12 * k), decode_block(load16(in + 16 * k), &invalid));
    }
    store12(out + 51, decode_block(load16(in + 68), &invalid));
    const int last = decode_last1(in + 84, out + 63);
    return last & all_zero(invalid);
}

int cbase64_decode32(const uint8_t *in, uint8_t *out) {
    if (!ssse3) return -1;
    return decode32_ssse3(in, out);
}

int cbase64_decode64(const uint8_t *in, uint8_t *out) {
    if (!ssse3) return -1;
    return decode64_ssse3(in, out);
}

/// The sixteen characters of the twelve bytes in the low lanes of `bytes`.
__attribute__((target("ssse3"))) static inline __m128i encode_block(__m128i bytes) {
    // Each group's bytes b0 b1 b2 as b1 b0 b2 b1 in its 32-bit lane.
    const __m128i in = _mm_shuffle_epi8(bytes, _mm_set_epi8(10, 11, 9, 10, 7, 8, 6, 7, 4, 5, 3, 4, 1, 2, 0, 1));
    // The four 6-bit indices, one per byte: the first and third by a high multiply, the second
    // and fourth by a low one.
    const __m128i t0 = _mm_and_si128(in, _mm_set1_epi32(0x0FC0FC00));
    const __m128i t1 = _mm_mulhi_epu16(t0, _mm_set1_epi32(0x04000040));
    const __m128i t2 = _mm_and_si128(in, _mm_set1_epi32(0x003F03F0));
    const __m128i t3 = _mm_mullo_epi16(t2, _mm_set1_epi32(0x01000010));
    const __m128i indices = _mm_or_si128(t1, t3);
    // Index to character: 0..25 + 'A', 26..51 + 'a' - 26, 52..61 - 4 ('0' - 52), 62 '+', 63 '/'.
    // The offset's slot: 0 for 0..25 (subs gives 0, the compare adds nothing), 1 for 26..51,
    // 2..11 for 52..61, 12 for 62, 13 for 63.
    const __m128i lut = _mm_setr_epi8(65, 71, -4, -4, -4, -4, -4, -4, -4, -4, -4, -4, -19, -16, 0, 0);
    __m128i slot = _mm_subs_epu8(indices, _mm_set1_epi8(51));
    slot = _mm_sub_epi8(slot, _mm_cmpgt_epi8(indices, _mm_set1_epi8(25)));
    return _mm_add_epi8(indices, _mm_shuffle_epi8(lut, slot));
}

/// 64 bytes: blocks at bytes 0, 12, ..., 48 (characters 0, 16, ..., 64; each loads sixteen
/// bytes and uses twelve, the last load ending at byte 64), then bytes 60..62 and the padded 63.
__attribute__((target("ssse3"))) static void encode64_ssse3(const uint8_t *in, uint8_t *out) {
    for (int k = 0; k < 5; k++) {
        _mm_storeu_si128((__m128i *)(out + 16 * k), encode_block(load16(in + 12 * k)));
    }
    const uint32_t v = (uint32_t)in[60] << 16 | (uint32_t)in[61] << 8 | in[62];
    out[80] = (uint8_t)alphabet[v >> 18];
    out[81] = (uint8_t)alphabet[(v >> 12) & 63];
    out[82] = (uint8_t)alphabet[(v >> 6) & 63];
    out[83] = (uint8_t)alphabet[v & 63];
    out[84] = (uint8_t)alphabet[in[63] >> 2];
    out[85] = (uint8_t)alphabet[(in[63] & 3) << 4];
    out[86] = '=';
    out[87] = '=';
}

int cbase64_encode64(const uint8_t *in, uint8_t *out) {
    if (!ssse3) return 0;
    encode64_ssse3(in, out);
    return 1;
}

#else

int cbase64_decode32(const uint8_t *in, uint8_t *out) { (void)in; (void)out; return -1; }
int cbase64_decode64(const uint8_t *in, uint8_t *out) { (void)in; (void)out; return -1; }
int cbase64_encode64(const uint8_t *in, uint8_t *out) { (void)in; (void)out; return 0; }

#endif
