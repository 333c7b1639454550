#ifndef CSHA256_H
#define CSHA256_H

#include <stddef.h>
#include <stdint.h>

/// SHA-256 on the x86-64 SHA extensions (SHA-NI), for the request path's body digests; the
/// portable fallback is libsodium's, chosen by the Swift caller (`Sodium.swift`).

/// 1 when this is an x86-64 build and the CPU reports SHA (CPUID leaf 7, EBX bit 29), SSE4.1
/// and SSSE3 (leaf 1, ECX bits 19 and 9); 0 otherwise (always 0 on other architectures).
/// Asks the CPU on every call: callers cache the answer.
int csha256_hw_available(void);

/// Writes SHA-256(data[0 ..< length]) to `out` and returns 1, using the SHA extensions; returns
/// 0 and writes nothing when this build has no hardware path (not x86-64). The caller must
/// have seen `csha256_hw_available()` return 1: on an x86-64 CPU without the extensions this
/// executes illegal instructions. `data` may be null only when `length` is 0.
int csha256_hw_digest(const uint8_t *data, size_t length, uint8_t out[32]);

/// Writes the lowercase hex of a 32-byte digest (64 characters, each byte's high nibble first)
/// to `out`: how the signed request message spells the body's digest, on both sides of every
/// signed request (`RequestSigning.withMessage`). The digest comes as its four 8-byte lanes, each
/// holding eight consecutive bytes in memory order (`Bytes32.lanes`), in registers: read from
/// memory just after the caller stored them, they waited on the store buffer. SSE2 on x86-64
/// (sixteen bytes at a time, about 30 instructions for the whole digest where the Swift table
/// loop took about 210), a byte at a time elsewhere; the same bytes either way.
void csha256_hex32_lanes(uint64_t lane0, uint64_t lane1, uint64_t lane2, uint64_t lane3, uint8_t out[64]);

#endif
