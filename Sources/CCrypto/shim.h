// OpenSSL's libcrypto, for SHA-256 through the EVP digest API (manifests, shards).
#include <openssl/evp.h>
