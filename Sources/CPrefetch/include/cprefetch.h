#ifndef CPREFETCH_H
#define CPREFETCH_H

/// A hint that the cache line holding `p` will be read soon (`__builtin_prefetch`: read, keep in
/// all cache levels). It changes nothing but timing, and never faults, whatever the address.
/// Swift has no prefetch of its own; this header is imported by the Engine, whose event queue
/// prefetches the next event's slot while the current one is being handled, and by JobSystem,
/// whose stand-in secrets table prefetches a key's slot as soon as the verifier has parsed it,
/// and by SimHarness, whose World prefetches a node's host before handling its event.
static inline __attribute__((always_inline)) void cprefetch_read(const void *p) {
    __builtin_prefetch(p, 0, 3);
}

#endif
