// libsodium, used in both worlds for SHA-256 and Ed25519 so that simulated and production
// nodes hash and sign the very same bytes.
#include <sodium.h>
