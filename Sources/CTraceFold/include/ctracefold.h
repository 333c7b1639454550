#ifndef CTRACEFOLD_H
#define CTRACEFOLD_H

#include <stddef.h>
#include <stdint.h>

/// FNV-1a of a run digest's byte strings (`TraceDigest.fold([UInt8])`) on AVX-512: the same
/// function, computed without its byte-serial chain (see ctracefold.c for why that is exact).
/// `TraceDigestTests` compares it with the byte loop.

/// 1 when this is an x86-64 build, the CPU reports AVX-512 F, DQ, BW and VL (CPUID leaf 7, EBX
/// bits 16, 17, 30, 31) and PCLMULQDQ (leaf 1, ECX bit 1), and the operating system saves the
/// vector registers (OSXSAVE; XCR0 bits 1, 2 and 5–7); 0 otherwise. Asked of the CPU once, then
/// remembered. Valgrind reports no AVX-512, so under callgrind the byte loop runs.
int ctracefold_vector_available(void);

/// The FNV-1a state after `count` bytes at `bytes` starting from `state`:
/// for each byte b, state = (state ^ b) * 0x100000001B3 (mod 2^64).
/// The vector path runs only when `ctracefold_vector_available()` (the byte loop otherwise: the
/// same value), so a caller need not ask first; `TraceDigest` runs its own loop on short strings.
uint64_t ctracefold_fnv1a(uint64_t state, const uint8_t *bytes, size_t count);

#endif
