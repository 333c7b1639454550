// SHA-256 with the x86 SHA extensions: the block function follows the structure of the
// public-domain Intel SHA-NI routine (Sean Gulley's, as published by Jeffrey Walton in
// `sha256-x86.c`): state kept as ABEF/CDGH, two `sha256rnds2` per four rounds, the message
// schedule built with `sha256msg1`/`sha256msg2`. Here the sixteen four-round groups come from
// one macro (same instruction sequence as the unrolled original). Padding and output follow
// FIPS 180-4 §5.1.1 and §6.2.2.
#include "csha256.h"

#if defined(__x86_64__)

#include <cpuid.h>
#include <immintrin.h>
#include <string.h>

int csha256_hw_available(void) {
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
    if (!(ecx & (1u << 19)) || !(ecx & (1u << 9))) return 0;  // SSE4.1, SSSE3
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return 0;
    return (ebx & (1u << 29)) != 0;  // SHA
}

/// FIPS 180-4 §4.2.2, in 16-byte groups of four (lane i = K[4g + i]).
static const uint32_t K256[64] __attribute__((aligned(16))) = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

/// Rounds 4g ..< 4g+4 on message group `Wg` (`Wprev` is group g-1, `Wnext` holds group g+1
/// being scheduled, `Wlast` group g-1 for sha256msg1). Which schedule steps apply depends on g:
/// msg2 finishes group g+1 for 3 <= g <= 14; msg1 starts group g+3 for 1 <= g <= 12.
#define CSHA256_GROUP(g, Wg, Wprev, Wnext)                                              \
    do {                                                                                \
        __m128i msg = _mm_add_epi32(Wg, _mm_load_si128((const __m128i *)&K256[4 * (g)])); \
        state1 = _mm_sha256rnds2_epu32(state1, state0, msg);                            \
        if ((g) >= 3 && (g) <= 14) {                                                    \
            Wnext = _mm_add_epi32(Wnext, _mm_alignr_epi8(Wg, Wprev, 4));                \
            Wnext = _mm_sha256msg2_epu32(Wnext, Wg);                                    \
        }                                                                               \
        msg = _mm_shuffle_epi32(msg, 0x0E);                                             \
        state0 = _mm_sha256rnds2_epu32(state0, state1, msg);                            \
        if ((g) >= 1 && (g) <= 12) Wprev = _mm_sha256msg1_epu32(Wprev, Wg);             \
    } while (0)

/// Compresses `blocks` 64-byte blocks into `state` (a, b, ..., h).
__attribute__((target("sha,sse4.1,ssse3")))
static void csha256_blocks(uint32_t state[8], const uint8_t *data, size_t blocks) {
    const __m128i byteswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
    __m128i tmp = _mm_loadu_si128((const __m128i *)&state[0]);
    __m128i state1 = _mm_loadu_si128((const __m128i *)&state[4]);
    tmp = _mm_shuffle_epi32(tmp, 0xB1);              // CDAB
    state1 = _mm_shuffle_epi32(state1, 0x1B);        // EFGH
    __m128i state0 = _mm_alignr_epi8(tmp, state1, 8);  // ABEF
    state1 = _mm_blend_epi16(state1, tmp, 0xF0);     // CDGH

    for (; blocks > 0; blocks--, data += 64) {
        const __m128i abefSave = state0, cdghSave = state1;
        __m128i w0 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 0)), byteswap);
        __m128i w1 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 16)), byteswap);
        __m128i w2 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 32)), byteswap);
        __m128i w3 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 48)), byteswap);
        // Group g uses w[g % 4]; its predecessor is w[(g + 3) % 4], its successor w[(g + 1) % 4].
        CSHA256_GROUP(0, w0, w3, w1);
        CSHA256_GROUP(1, w1, w0, w2);
        CSHA256_GROUP(2, w2, w1, w3);
        CSHA256_GROUP(3, w3, w2, w0);
        CSHA256_GROUP(4, w0, w3, w1);
        CSHA256_GROUP(5, w1, w0, w2);
        CSHA256_GROUP(6, w2, w1, w3);
        CSHA256_GROUP(7, w3, w2, w0);
        CSHA256_GROUP(8, w0, w3, w1);
        CSHA256_GROUP(9, w1, w0, w2);
        CSHA256_GROUP(10, w2, w1, w3);
        CSHA256_GROUP(11, w3, w2, w0);
        CSHA256_GROUP(12, w0, w3, w1);
        CSHA256_GROUP(13, w1, w0, w2);
        CSHA256_GROUP(14, w2, w1, w3);
        CSHA256_GROUP(15, w3, w2, w0);
        state0 = _mm_add_epi32(state0, abefSave);
        state1 = _mm_add_epi32(state1, cdghSave);
    }

    tmp = _mm_shuffle_epi32(state0, 0x1B);           // FEBA
    state1 = _mm_shuffle_epi32(state1, 0xB1);        // DCHG
    state0 = _mm_blend_epi16(tmp, state1, 0xF0);     // DCBA
    state1 = _mm_alignr_epi8(state1, tmp, 8);        // HGFE
    _mm_storeu_si128((__m128i *)&state[0], state0);
    _mm_storeu_si128((__m128i *)&state[4], state1);
}

int csha256_hw_digest(const uint8_t *data, size_t length, uint8_t out[32]) {
    uint32_t state[8] = {
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
    };
    const size_t whole = length / 64;
    if (whole > 0) csha256_blocks(state, data, whole);

    // The tail, 0x80, zeros and the 64-bit big-endian bit length: one block if the tail leaves
    // room for the 9 bytes (tail <= 55), else two.
    uint8_t last[128];
    const size_t tail = length % 64;
    memset(last, 0, sizeof last);
    if (tail > 0) memcpy(last, data + whole * 64, tail);
    last[tail] = 0x80;
    const size_t lastBlocks = tail <= 55 ? 1 : 2;
    const uint64_t bits = (uint64_t)length << 3;
    for (size_t i = 0; i < 8; i++) last[lastBlocks * 64 - 1 - i] = (uint8_t)(bits >> (8 * i));
    csha256_blocks(state, last, lastBlocks);

    for (int i = 0; i < 8; i++) {
        out[4 * i + 0] = (uint8_t)(state[i] >> 24);
        out[4 * i + 1] = (uint8_t)(state[i] >> 16);
        out[4 * i + 2] = (uint8_t)(state[i] >> 8);
        out[4 * i + 3] = (uint8_t)state[i];
    }
    return 1;
}

#else  // not x86-64: no hardware path; the caller uses libsodium.

int csha256_hw_available(void) { return 0; }

int csha256_hw_digest(const uint8_t *data, size_t length, uint8_t out[32]) {
    (void)data;
    (void)length;
    (void)out;
    return 0;
}

#endif

// The lowercase hex of a 32-byte digest given as its four 8-byte lanes (see csha256.h). SSE2,
// which every x86-64 CPU has: the 32 bytes' high and low nibbles are split, turned into digits
// sixteen at a time ('0' + n, plus 39 where n > 9 reaches 'a'..'f'), and interleaved
// high-first; no table, no branch. Elsewhere, the same digits one byte at a time.
//
// The lanes come in registers, not through memory: the caller's `Bytes32` was just stored as
// four 8-byte words, and a 16-byte load spanning two such stores cannot take its data from the
// store buffer (it waits until they reach the cache: `perf` put most of the pointer form's
// samples on that load). Two lanes make one vector with `movq` and `punpcklqdq`.
#if defined(__x86_64__)
#include <emmintrin.h>

void csha256_hex32_lanes(uint64_t lane0, uint64_t lane1, uint64_t lane2, uint64_t lane3, uint8_t out[64]) {
    const __m128i low4 = _mm_set1_epi8(0x0F);
    const __m128i nine = _mm_set1_epi8(9);
    const __m128i zero = _mm_set1_epi8('0');
    const __m128i letters = _mm_set1_epi8('a' - '0' - 10);
    // Each lane holds its eight bytes in memory order (x86-64 is little-endian: the first byte
    // is the low one), so the low lane of each vector is the earlier one.
    const __m128i halves[2] = {_mm_set_epi64x((long long)lane1, (long long)lane0),
                               _mm_set_epi64x((long long)lane3, (long long)lane2)};
    for (int half = 0; half < 2; half++) {
        __m128i bytes = halves[half];
        __m128i high = _mm_and_si128(_mm_srli_epi16(bytes, 4), low4);
        __m128i low = _mm_and_si128(bytes, low4);
        high = _mm_add_epi8(_mm_add_epi8(high, zero), _mm_and_si128(_mm_cmpgt_epi8(high, nine), letters));
        low = _mm_add_epi8(_mm_add_epi8(low, zero), _mm_and_si128(_mm_cmpgt_epi8(low, nine), letters));
        _mm_storeu_si128((__m128i *)(out + 32 * half), _mm_unpacklo_epi8(high, low));
        _mm_storeu_si128((__m128i *)(out + 32 * half + 16), _mm_unpackhi_epi8(high, low));
    }
}

#else
#include <string.h>

void csha256_hex32_lanes(uint64_t lane0, uint64_t lane1, uint64_t lane2, uint64_t lane3, uint8_t out[64]) {
    static const char digits[16] = "0123456789abcdef";
    const uint64_t lanes[4] = {lane0, lane1, lane2, lane3};
    uint8_t in[32];
    memcpy(in, lanes, sizeof in);  // the lanes' bytes in memory order, on any byte order
    for (int i = 0; i < 32; i++) {
        out[2 * i] = (uint8_t)digits[in[i] >> 4];
        out[2 * i + 1] = (uint8_t)digits[in[i] & 15];
    }
}

#endif
