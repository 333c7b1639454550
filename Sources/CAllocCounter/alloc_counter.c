#include "alloc_counter.h"

#include <stdatomic.h>
#include <stddef.h>

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *pointer, size_t size);
extern void __libc_free(void *pointer);

static atomic_int counting;
static atomic_ullong calls;

static inline void count_one(void) {
    if (atomic_load_explicit(&counting, memory_order_relaxed)) {
        atomic_fetch_add_explicit(&calls, 1, memory_order_relaxed);
    }
}

void *malloc(size_t size) {
    count_one();
    return __libc_malloc(size);
}

void *calloc(size_t count, size_t size) {
    count_one();
    return __libc_calloc(count, size);
}

void *realloc(void *pointer, size_t size) {
    count_one();
    return __libc_realloc(pointer, size);
}

void alloc_counter_start(void) {
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
    __libc_free(p);
    return alloc_counter_stop() == 1;
}
