#ifndef CBASE64_H
#define CBASE64_H

#include <stdint.h>

/// Base64 of the two fixed sizes every signed node request carries (a 32-byte public key, 44
/// characters; a 64-byte signature, 88 characters) on SSSE3, sixteen characters at a time, for
/// `Base64` (`Sources/System/Crypto/Encoding.swift`), which runs its own loops when these return
/// -1. Strict: accepts exactly what `Base64.decode` accepts at these lengths (canonical padded
/// standard base64), and writes exactly what `Base64.write` writes; `CBase64Tests` compares them
/// over every byte at every position.

/// Decodes the 44 characters at `in` into the 32 bytes at `out`: returns 1 if they are the
/// canonical padded base64 of 32 bytes (`out` then holds them), 0 if not (`out` then holds
/// unspecified bytes), -1 when this build or CPU has no SSSE3 (nothing written).
int cbase64_decode32(const uint8_t *in, uint8_t *out);

/// `cbase64_decode32` for the 88 characters of 64 bytes.
int cbase64_decode64(const uint8_t *in, uint8_t *out);

/// Writes the 88 characters of the padded base64 of the 64 bytes at `in` to `out` and returns 1;
/// returns 0 without writing when this build or CPU has no SSSE3.
int cbase64_encode64(const uint8_t *in, uint8_t *out);

#endif
