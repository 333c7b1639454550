#define _GNU_SOURCE
#include "alloc_counter.h"

#include <dlfcn.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>

// glibc's own entry points, for the calls made while the next allocator is being looked up
// (dlsym may allocate).
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *pointer, size_t size);

static atomic_int counting;
static atomic_ullong calls;

// The allocator after this executable in the symbol search order: glibc's, or that of a
// preloaded tool (heaptrack), which therefore still sees every allocation.
static void *(*_Atomic next_malloc)(size_t);
static void *(*_Atomic next_calloc)(size_t, size_t);
static void *(*_Atomic next_realloc)(void *, size_t);
static _Thread_local int resolving;

static void resolve(void) {
    resolving = 1;
    void *m = dlsym(RTLD_NEXT, "malloc");
    void *c = dlsym(RTLD_NEXT, "calloc");
    void *r = dlsym(RTLD_NEXT, "realloc");
    atomic_store(&next_calloc, c ? (void *(*)(size_t, size_t))c : __libc_calloc);
    atomic_store(&next_realloc, r ? (void *(*)(void *, size_t))r : __libc_realloc);
    atomic_store(&next_malloc, m ? (void *(*)(size_t))m : __libc_malloc);
    resolving = 0;
}

static inline void count_one(void) {
    if (atomic_load_explicit(&counting, memory_order_relaxed)) {
        atomic_fetch_add_explicit(&calls, 1, memory_order_relaxed);
    }
}

void *malloc(size_t size) {
    count_one();
    void *(*f)(size_t) = atomic_load_explicit(&next_malloc, memory_order_acquire);
    if (!f) {
        if (resolving) return __libc_malloc(size);
        resolve();
        f = atomic_load_explicit(&next_malloc, memory_order_acquire);
    }
    return f(size);
}

void *calloc(size_t count, size_t size) {
    count_one();
    void *(*f)(size_t, size_t) = atomic_load_explicit(&next_calloc, memory_order_acquire);
    if (!f) {
        if (resolving) return __libc_calloc(count, size);
        resolve();
        f = atomic_load_explicit(&next_calloc, memory_order_acquire);
    }
    return f(count, size);
}

void *realloc(void *pointer, size_t size) {
    count_one();
    void *(*f)(void *, size_t) = atomic_load_explicit(&next_realloc, memory_order_acquire);
    if (!f) {
        if (resolving) return __libc_realloc(pointer, size);
        resolve();
        f = atomic_load_explicit(&next_realloc, memory_order_acquire);
    }
    return f(pointer, size);
}

void alloc_counter_start(void) {
    // Looked up now, so that dlsym's own allocations are never counted.
    if (!atomic_load(&next_malloc)) resolve();
    atomic_store_explicit(&calls, 0, memory_order_relaxed);
    atomic_store_explicit(&counting, 1, memory_order_relaxed);
}

unsigned long long alloc_counter_stop(void) {
    atomic_store_explicit(&counting, 0, memory_order_relaxed);
    return atomic_load_explicit(&calls, memory_order_relaxed);
}

int alloc_counter_works(void) {
    alloc_counter_start();
    void *volatile p = malloc(24);
    free(p);
    return alloc_counter_stop() == 1;
}
