#ifndef ALLOC_COUNTER_H
#define ALLOC_COUNTER_H

/// Counts calls to malloc, calloc and realloc made by any thread while counting is on
/// (`alloc_counter_start`), for `simharness bench fleet`'s allocs_per_event. Linked into the
/// simharness executable only: its malloc, calloc and realloc interpose glibc's (the
/// executable's definitions win for every shared library, the Swift runtime and Foundation
/// included) and forward to the next allocator in the search order (glibc's, or a preloaded
/// tool's: heaptrack still sees every allocation; while that one is being looked up, glibc's
/// `__libc_malloc`). Lock-free, allocation-free and reentrant: one relaxed atomic load (and,
/// while counting, one relaxed increment) per call.
/// `free` is not wrapped. Other allocation entry points (posix_memalign, aligned_alloc, used by
/// the Swift runtime only for over-aligned objects) are not counted.
void alloc_counter_start(void);
/// Stops counting; returns the calls counted since `alloc_counter_start`.
unsigned long long alloc_counter_stop(void);
/// Whether the interposition is in effect (a malloc made now was seen).
int alloc_counter_works(void);

#endif
