/* CRC-32 (IEEE 802.3, reflected 0xEDB88320), as used by the STUN FINGERPRINT
 * attribute (RFC 8489 14.7) and the model file format. */
#ifndef PL_BASE_CRC32_H
#define PL_BASE_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* Start with crc = 0; feed chunks by passing the previous result. */
uint32_t pl_crc32(uint32_t crc, const void *data, size_t len);

#endif
