// FNV-1a on AVX-512 (see ctracefold.h): the same 64-bit result as the byte loop
// h = (h ^ b) * P mod 2^64, P = 0x100000001B3, without its serial chain of one XOR and one
// multiply a byte (4 cycles a byte whatever the code).
//
// Why it can be computed otherwise. Write l for the low byte of h. XOR with a byte changes only
// that byte, so h ^ b = h + d with d = (l ^ b) - l, a small integer that depends on l and b only.
// Then h' = (h + d) * P, and after n bytes
//     h_n = h_0 * P^n + sum_i d_i * P^(n - i)        (mod 2^64)
// a sum of independent products once the d_i are known. The d_i need the low bytes l_i, which
// follow their own chain l' = ((l ^ b) * 0xB3) mod 256 (0xB3 = P mod 256), still serial a byte
// at a time. But that chain is triangular in its bits: bit k of (x * 0xB3) is x_k XOR a
// function of x's lower bits (0xB3 is odd), so for each bit position k, taken in order 0..7,
//     l_(i+1),k = l_i,k ^ b_i,k ^ c_k(x_i's bits below k),   x_i = l_i ^ b_i,
// an XOR prefix over the positions i once the lower bits are known. A block of 64 bytes is
// held as 8 bit planes of 64 bits (bit i of plane k = bit k of byte i); each level is one
// carry-less multiply by all ones (the prefix XOR), and c_k comes from the planes of lower
// levels by a bit-sliced multiply by 0xB3 (x*3 = x + 2x, then + 16*(3x) + 128x, with
// carries). 8 levels of about 10 cycles replace 64 links of 4 cycles; the planes of l give the
// d_i, and 8 vector multiplies the sum. Blocks go in pairs (128 bytes), their levels
// interleaved in program order: block B's level k needs only block A's low-byte bits at A's
// end for that level (A's start XOR the parity of A's t), so the core runs the two chains side
// by side, and one sum and one multiply by P^m close the pair.
//
// Measured (this project's EPYC, each call dependent on the last): a 111-byte heartbeat answer
// about 101 ns by the byte loop, 73 ns by single blocks, 53 ns by pairs; 64 bytes 58 ns by
// the loop and 52 ns by a pair, so the caller uses this from 64 bytes on.
#include "ctracefold.h"

/// The definition, a byte at a time: what every other path must equal, and the answer where
/// the vector path cannot run.
static uint64_t fnv1a_loop(uint64_t state, const uint8_t *bytes, size_t count) {
    for (size_t i = 0; i < count; i++) state = (state ^ bytes[i]) * 0x100000001B3ull;
    return state;
}

#if defined(__x86_64__)

#include <cpuid.h>
#include <immintrin.h>

static int ask_cpu(void) {
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
    if (!(ecx & (1u << 27))) return 0;  // OSXSAVE
    if (!(ecx & (1u << 1))) return 0;   // PCLMULQDQ
    unsigned int xcr0_low, xcr0_high;
    __asm__ volatile("xgetbv" : "=a"(xcr0_low), "=d"(xcr0_high) : "c"(0));
    if ((xcr0_low & 0xE6u) != 0xE6u) return 0;  // XMM, YMM, opmask, ZMM state saved by the OS
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return 0;
    const unsigned int wanted = (1u << 16) | (1u << 17) | (1u << 30) | (1u << 31);  // F, DQ, BW, VL
    return (ebx & wanted) == wanted;
}

/// -1 until asked; the answer is the same for every thread, so a race only asks twice.
static int available = -1;

int ctracefold_vector_available(void) {
    int known = __atomic_load_n(&available, __ATOMIC_RELAXED);
    if (known < 0) {
        known = ask_cpu();
        __atomic_store_n(&available, known, __ATOMIC_RELAXED);
    }
    return known;
}

/// powers[u] = P^(128 - u) for u < 128 and 0 from 128 on, so that a pair of blocks of m bytes
/// finds the weights P^(m - i) of its bytes i < m, and 0 for the lanes past its end, at
/// powers + 128 - m.
static const uint64_t powers[256] __attribute__((aligned(64))) = {
    0xf2457d0981da8201ull, 0xe48941542d9d0b7bull, 0x4b11e88d6f551b19ull, 0x12033c8e27af9203ull,
    0x39958bf19d38e671ull, 0x84847834580c7d4bull, 0xa77162893dfeda09ull, 0xa81bec06c9ffff53ull,
    0x82d22b93245cfbe1ull, 0xb1bdfedc707cfa1bull, 0x22ccb7a0948fe1f9ull, 0x528369fa7bed7fa3ull,
    0x7c587658da083251ull, 0x03c81b64400f51ebull, 0xcbb6d1090edc22e9ull, 0x229c259616fc62f3ull,
    0x6dea993e235cf9c1ull, 0xce86861a097f54bbull, 0x5484fcdded308cd9ull, 0xa222745ce7d3f943ull,
    0x46394e6d164ec231ull, 0x6f6ac17aa8f3d28bull, 0x445e5ebb6d430fc9ull, 0x02c59e30198e9293ull,
    0xa719c5249911fba1ull, 0x61033baedece9b5bull, 0xecb9075ccc229bb9ull, 0x3dba19fa54097ee3ull,
    0x996b7c32028c1611ull, 0x0e30ccfc957c7f2bull, 0xafe7e88ae12720a9ull, 0xc3aa9421dd350e33ull,
    0xe7487b0aabc38181ull, 0xfe9b5a55f2454dfbull, 0xf86a8c8241e18e99ull, 0xfb0b18268d649083ull,
    0x342eb4c2e24fadf1ull, 0xd645a4bb011bd7cbull, 0x7ca3dcc0df0bd589ull, 0x180d2063e69e55d3ull,
    0x8b11a8c0abc90b61ull, 0xe4fee87dcb6dec9bull, 0xa3da64e40a78e579ull, 0xd6a3b4d29eebae23ull,
    0x00f36819ca3909d1ull, 0x4578fda3a9f45c6bull, 0xc8d453e8d604ae69ull, 0xc083c6d7eda8e973ull,
    0xc1be550d718a1941ull, 0xa1651799a182f73bull, 0x3caef1b9bb842059ull, 0xd0918fb3ebd557c3ull,
    0x2adefcfb1df7a9b1ull, 0x9514c93c9ad88d0bull, 0x5251297d7db52b49ull, 0xe28923f357634913ull,
    0x63198598fb7e2b21ull, 0x25a31dd1456eeddbull, 0x96a2f394322ebf39ull, 0x29d1436c09880d63ull,
    0xcb8becfd4e4b0d91ull, 0xd1cdc2f2754ae9abull, 0x6d2b8d986450cc29ull, 0xffa28dbe700bf4b3ull,
    0x0e9be24f4c2cc101ull, 0x30ff95b7cbcc507bull, 0x0d87341341344219ull, 0xbb68e219599a4f03ull,
    0x117dc3a4d702b571ull, 0x728261617b7df24bull, 0xc3e111dbbc9b1109ull, 0x42e9511065116c53ull,
    0x1a8845b3882d5ae1ull, 0x864d0ab0f6e59f1bull, 0x3aa4dd519ee028f9ull, 0x04f27bb863d29ca3ull,
    0x20f8d48c7cfe2151ull, 0x8bf25bc15a5426ebull, 0x8bda9cce6be779e9ull, 0x27b5a6efff122ff3ull,
    0x48f9aa9b542778c1ull, 0x7e4793ad60b559bbull, 0x5a4cb2bf130df3d9ull, 0xbd9d9fbdf0277643ull,
    0x58052d91cc2cd131ull, 0x27fffe9bb360078bull, 0x8ddcf7e2581986c9ull, 0x55bd91011bdcbf93ull,
    0x9e9c08ca72d29aa1ull, 0xdb5938e564e6005bull, 0x67fc9820e52922b9ull, 0x99662e51e0bf5be3ull,
    0x571fdafdd58e4511ull, 0x8a9035f566e4142bull, 0xc6dad55cf5a4b7a9ull, 0x0bf87ee6e86f9b33ull,
    0x0558b2e6a2f64081ull, 0xb4335c3acad212fbull, 0xf6e4ec708a2d3599ull, 0x9bf7d092cbf0cd83ull,
    0x56c104a22d31fcf1ull, 0x756a7e129dd2cccbull, 0x20e7345a158c8c89ull, 0x18cef182daf942d3ull,
    0x26a7a93bbd69ea61ull, 0x790476e92f84119bull, 0xe01e375092a5ac79ull, 0x897c124a56424b23ull,
    0xe22cbbe2283778d1ull, 0xd2bad6fd93ceb16bull, 0xcffef220f3648569ull, 0x4ed743f86cd83673ull,
    0x4efe15c813151841ull, 0x21e53a2d2fb67c3bull, 0x017180cfd8ae0759ull, 0x8ff15a7a4c6a54c3ull,
    0xf54383a05ace38b1ull, 0x30b961f8212a420bull, 0x18a5210383502249ull, 0x936a555d949af613ull,
    0x1efac7090aef4a21ull, 0xc5527b8a51d3d2dbull, 0xdc966432edf1c639ull, 0x0caee32a7d4f6a63ull,
    0x9ffaac085635bc91ull, 0x08a97b0004e7feabull, 0x000366000002e329ull, 0x00000100000001b3ull,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

#define XOR3(a, b, c) _mm_ternarylogic_epi64((a), (b), (c), 0x96)
#define MAJ(a, b, c) _mm_ternarylogic_epi64((a), (b), (c), 0xE8)

// Level k of one block: t holds b_k ^ c_k over the positions. l_k is start_k XOR the exclusive
// prefix XOR of t (a carry-less multiply by all ones gives the inclusive one), x_k = l_k ^ b_k,
// and start_k becomes the bit past the block's end (for the next block). Then the next level's
// c: bit k+1 of (x mod 2^(k+1)) * 0xB3 without x_(k+1)'s own term, with z = 3x
// (z_j = x_j ^ x_(j-1) ^ cr_j, cr_(j+1) = maj(x_j, x_(j-1), cr_j)) and y = z + 16 z + 128 x
// (columns j >= 4 add z_(j-4) with carries cr2; column 7 adds x_0). The adder state (cr, cr2,
// z) is the block's own.
#define LEVEL(k, B, X, L, z, cr, cr2, t, start)                                            \
    do {                                                                                    \
        __m128i inclusive = _mm_clmulepi64_si128(t, ones, 0);                              \
        __m128i exclusive = _mm_slli_epi64(inclusive, 1);                                  \
        X[k] = XOR3(exclusive, start[k], B[k]);                                            \
        L[k] = _mm_xor_si128(exclusive, start[k]);                                         \
        start[k] = _mm_xor_si128(start[k], _mm_srai_epi64(inclusive, 63));                 \
        if (k < 7) {                                                                        \
            const int j = k + 1;                                                            \
            __m128i c;                                                                      \
            if (k == 0) {                                                                   \
                z[0] = X[0];                                                                \
                c = X[0];                                                                   \
            } else {                                                                        \
                __m128i carry = MAJ(X[k], X[(k) - 1], cr);                                  \
                z[k] = XOR3(X[k], X[(k) - 1], cr);                                          \
                cr = carry;                                                                 \
                if (j < 4) {                                                                \
                    c = _mm_xor_si128(X[k], carry);                                         \
                } else {                                                                    \
                    if (j >= 5) cr2 = MAJ(z[j - 1], z[(j >= 5 ? j - 5 : 0)], cr2);          \
                    c = XOR3(X[k], carry, z[j - 4]);                                        \
                    if (j >= 5) c = _mm_xor_si128(c, cr2);                                  \
                    if (j == 7) c = _mm_xor_si128(c, X[0]);                                 \
                }                                                                           \
            }                                                                               \
            t = _mm_xor_si128(c, B[j]);                                                     \
        }                                                                                   \
    } while (0)

/// Block's share of the sum: d_i = (l_i ^ b_i) - l_i = b_i - 2 (l_i & b_i), the bytes l & b
/// rebuilt from their planes, 16-bit differences widened to 64 bits, times the weights `w`.
__attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,pclmul")))
static inline __m512i weighted(__m512i b, __m128i *L, __m128i *B, const uint64_t *w) {
    __m512i lb = _mm512_setzero_si512();
    for (int k = 0; k < 8; k++)
        lb = _mm512_mask_add_epi8(lb, (__mmask64)(uint64_t)_mm_cvtsi128_si64(_mm_and_si128(L[k], B[k])), lb, _mm512_set1_epi8((char)(1 << k)));
    __m512i dlo = _mm512_sub_epi16(_mm512_cvtepu8_epi16(_mm512_castsi512_si256(b)), _mm512_slli_epi16(_mm512_cvtepu8_epi16(_mm512_castsi512_si256(lb)), 1));
    __m512i dhi = _mm512_sub_epi16(_mm512_cvtepu8_epi16(_mm512_extracti64x4_epi64(b, 1)), _mm512_slli_epi16(_mm512_cvtepu8_epi16(_mm512_extracti64x4_epi64(lb, 1)), 1));
    __m512i a0 = _mm512_mullo_epi64(_mm512_cvtepi16_epi64(_mm512_castsi512_si128(dlo)), _mm512_loadu_si512(w + 0));
    __m512i a1 = _mm512_mullo_epi64(_mm512_cvtepi16_epi64(_mm512_extracti32x4_epi32(dlo, 1)), _mm512_loadu_si512(w + 8));
    __m512i a2 = _mm512_mullo_epi64(_mm512_cvtepi16_epi64(_mm512_extracti32x4_epi32(dlo, 2)), _mm512_loadu_si512(w + 16));
    __m512i a3 = _mm512_mullo_epi64(_mm512_cvtepi16_epi64(_mm512_extracti32x4_epi32(dlo, 3)), _mm512_loadu_si512(w + 24));
    a0 = _mm512_add_epi64(a0, _mm512_mullo_epi64(_mm512_cvtepi16_epi64(_mm512_castsi512_si128(dhi)), _mm512_loadu_si512(w + 32)));
    a1 = _mm512_add_epi64(a1, _mm512_mullo_epi64(_mm512_cvtepi16_epi64(_mm512_extracti32x4_epi32(dhi, 1)), _mm512_loadu_si512(w + 40)));
    a2 = _mm512_add_epi64(a2, _mm512_mullo_epi64(_mm512_cvtepi16_epi64(_mm512_extracti32x4_epi32(dhi, 2)), _mm512_loadu_si512(w + 48)));
    a3 = _mm512_add_epi64(a3, _mm512_mullo_epi64(_mm512_cvtepi16_epi64(_mm512_extracti32x4_epi32(dhi, 3)), _mm512_loadu_si512(w + 56)));
    return _mm512_add_epi64(_mm512_add_epi64(a0, a1), _mm512_add_epi64(a2, a3));
}

/// The mask of a block's first `count` bytes (count <= 64), without BMI2's `bzhi`: the CPU
/// check does not ask for BMI2, so nothing here may use it.
static inline uint64_t low_mask(size_t count) {
    return count >= 64 ? ~0ull : (1ull << count) - 1;
}

__attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,pclmul")))
static uint64_t fnv1a_avx512(uint64_t h, const uint8_t *p, size_t n) {
    const __m128i ones = _mm_set1_epi64x(-1);
    __m128i start[8];
    for (int k = 0; k < 8; k++) start[k] = _mm_cvtsi64_si128(-(long long)((h >> k) & 1));
    while (n > 0) {
        size_t m = n < 128 ? n : 128;
        size_t ma = m < 64 ? m : 64, mb = m - ma;
        __m512i ba = _mm512_maskz_loadu_epi8(low_mask(ma), p);
        __m512i bb = _mm512_maskz_loadu_epi8(low_mask(mb), p + ma);
        __m128i BA[8], XA[8], LA[8], zA[8], BB[8], XB[8], LB[8], zB[8];
        for (int k = 0; k < 8; k++) {
            BA[k] = _mm_cvtsi64_si128((long long)_cvtmask64_u64(_mm512_test_epi8_mask(ba, _mm512_set1_epi8((char)(1 << k)))));
            BB[k] = _mm_cvtsi64_si128((long long)_cvtmask64_u64(_mm512_test_epi8_mask(bb, _mm512_set1_epi8((char)(1 << k)))));
        }
        __m128i tA = BA[0], crA = _mm_setzero_si128(), cr2A = _mm_setzero_si128();
        __m128i tB = BB[0], crB = _mm_setzero_si128(), cr2B = _mm_setzero_si128();
        // Block B's level k starts from block A's low bytes past its end: start[k] after A's level k.
        LEVEL(0, BA, XA, LA, zA, crA, cr2A, tA, start); LEVEL(0, BB, XB, LB, zB, crB, cr2B, tB, start);
        LEVEL(1, BA, XA, LA, zA, crA, cr2A, tA, start); LEVEL(1, BB, XB, LB, zB, crB, cr2B, tB, start);
        LEVEL(2, BA, XA, LA, zA, crA, cr2A, tA, start); LEVEL(2, BB, XB, LB, zB, crB, cr2B, tB, start);
        LEVEL(3, BA, XA, LA, zA, crA, cr2A, tA, start); LEVEL(3, BB, XB, LB, zB, crB, cr2B, tB, start);
        LEVEL(4, BA, XA, LA, zA, crA, cr2A, tA, start); LEVEL(4, BB, XB, LB, zB, crB, cr2B, tB, start);
        LEVEL(5, BA, XA, LA, zA, crA, cr2A, tA, start); LEVEL(5, BB, XB, LB, zB, crB, cr2B, tB, start);
        LEVEL(6, BA, XA, LA, zA, crA, cr2A, tA, start); LEVEL(6, BB, XB, LB, zB, crB, cr2B, tB, start);
        LEVEL(7, BA, XA, LA, zA, crA, cr2A, tA, start); LEVEL(7, BB, XB, LB, zB, crB, cr2B, tB, start);
        // Weights P^(m - i) for i < m, 0 past the end: block A's at powers + 128 - m, B's 64 on.
        const uint64_t *w = powers + (128 - m);
        __m512i s = _mm512_add_epi64(weighted(ba, LA, BA, w), weighted(bb, LB, BB, w + 64));
        __m256i s4 = _mm256_add_epi64(_mm512_castsi512_si256(s), _mm512_extracti64x4_epi64(s, 1));
        __m128i s2 = _mm_add_epi64(_mm256_castsi256_si128(s4), _mm256_extracti128_si256(s4, 1));
        uint64_t sum = (uint64_t)_mm_cvtsi128_si64(s2) + (uint64_t)_mm_extract_epi64(s2, 1);
        h = h * powers[128 - m] + sum;
        p += m;
        n -= m;
    }
    return h;
}

uint64_t ctracefold_fnv1a(uint64_t state, const uint8_t *bytes, size_t count) {
    // Callers need not ask first: without the vector unit the byte loop gives the same value.
    if (ctracefold_vector_available() != 1) return fnv1a_loop(state, bytes, count);
    return fnv1a_avx512(state, bytes, count);
}

#else

int ctracefold_vector_available(void) { return 0; }

uint64_t ctracefold_fnv1a(uint64_t state, const uint8_t *bytes, size_t count) {
    return fnv1a_loop(state, bytes, count);
}

#endif
