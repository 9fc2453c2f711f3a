// OpenSSL's libcrypto, for SHA-256 (it uses the CPU's SHA extensions).
#include <openssl/evp.h>
