#ifndef CSTANDIN_H
#define CSTANDIN_H

#include <stdint.h>

/// The stand-in compute's tally (`ComputeModel.standInTally`) on AVX-512, eight iterations at a
/// time: the same integers, so the same tally, as the Swift loop (`StandInTallyTests` compares
/// them). Simulation only; production nodes run the real model.

/// A tally's exact sums as 64-bit halves, and its extremes.
typedef struct {
    uint64_t sum_low, sum_high;
    uint64_t squares_low, squares_high;
    uint64_t lowest, highest;
} cstandin_tally;

/// 1 when this is an x86-64 build, the CPU reports AVX-512 F and DQ (CPUID leaf 7, EBX bits 16
/// and 17) and the operating system saves their registers (OSXSAVE; XCR0 bits 1, 2 and 5–7);
/// 0 otherwise. Asked of the CPU once, then remembered.
int cstandin_vector_available(void);

/// Sums, over i in [0, iterations), damage_i = lowest_damage + mix(key ^ (offset + i)) % width,
/// where mix is SplitMix64's output function (`SplitMix64.mix`) and `offset + i` wraps, into
/// `out`, and returns 1. Returns 0 without a tally (the caller then runs its own loop) when this
/// path does not apply: no AVX-512 (`cstandin_vector_available`), width below 2^16,
/// lowest_damage + width above 2^50, iterations not in [1, 2^28); and, as a guard, if any
/// remainder it computed fell outside [0, width) (its estimate is proven within one of the
/// quotient, so never).
int cstandin_tally_vector(
    uint64_t key, int64_t offset, int64_t iterations, uint64_t lowest_damage, uint64_t width, cstandin_tally *out);

#endif
