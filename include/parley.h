/* parley.h - the one public header of the Parley real-time call engine.
 *
 * An app embeds Parley by binding an engine to its own libuv loop, creating
 * calls on it, and receiving events and stats through callbacks that run on
 * that loop. Every handle is opaque and comes from a pl_*_new function and
 * goes to the matching pl_*_free. Functions that can fail return a negative
 * PL_E* code; pl_strerror() turns one into text.
 */
#ifndef PARLEY_H
#define PARLEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PL_VERSION_MAJOR 0
#define PL_VERSION_MINOR 1
#define PL_VERSION_PATCH 0

/* Error codes. Zero is success; every failure is one of these, negated. */
#define PL_ERRNO_MAP(X)                                                        \
  X(EINVAL, "invalid argument")                                                \
  X(ENOMEM, "out of memory")                                                   \
  X(ETRUNC, "input truncated")                                                 \
  X(EPARSE, "malformed input")                                                 \
  X(ERANGE, "value out of range")                                              \
  X(ENOTSUP, "not supported")                                                  \
  X(EAUTH, "authentication failed")                                            \
  X(EREPLAY, "replayed packet")                                                \
  X(EFULL, "buffer or queue full")                                             \
  X(EAGAIN, "nothing available yet")                                           \
  X(ESTATE, "operation not valid in this state")                               \
  X(EIO, "input/output error")                                                 \
  X(ENOENT, "no such file or entry")                                           \
  X(EADDRINUSE, "address already in use")                                      \
  X(ETIMEDOUT, "timed out")                                                    \
  X(ECRYPTO, "cryptographic library error")                                    \
  X(ECODEC, "codec error")                                                     \
  X(EFORMAT, "unsupported or corrupt file format")                             \
  X(ECLOSED, "closed by peer")

enum pl_errno_index_ {
#define PL_ERR_INDEX_(name, text) PL_ERRIDX_##name,
  PL_ERRNO_MAP(PL_ERR_INDEX_)
#undef PL_ERR_INDEX_
  PL_ERRIDX_COUNT_
};

/* PL_EINVAL == -1, PL_ENOMEM == -2, ... in the order of PL_ERRNO_MAP. */
enum {
  PL_OK = 0,
#define PL_ERR_ENUM_(name, text) PL_##name = -1 - PL_ERRIDX_##name,
  PL_ERRNO_MAP(PL_ERR_ENUM_)
#undef PL_ERR_ENUM_
};

/* Text for an error code (or "success"/"unknown error"); never NULL. */
const char *pl_strerror(int err);
const char *pl_version(void);

#ifdef __cplusplus
}
#endif
#endif /* PARLEY_H */
