/* Helpers shared by the RTCP sources only; not part of the RTCP API. */
#ifndef PL_NET_RTCP_PRIV_H
#define PL_NET_RTCP_PRIV_H

#include "net/rtcp/rtcp.h"

/* Reserves one packet of `body` bytes plus `pad` padding bytes (body + pad a
 * multiple of 4) and writes its header; with pad > 0 the P bit is set, the
 * padding written, and the writer closed to further packets. Returns the body
 * or NULL with w->err set. */
uint8_t *pl_rtcp_begin_(pl_rtcp_writer *w, uint8_t pt, uint8_t count,
                        size_t body, size_t pad);
/* Reads the feedback header (RFC 4585 §6.1) of an RTPFB/PSFB packet with the
 * given type and FMT: PL_EINVAL if it is another message, PL_ETRUNC if the
 * body is shorter than the two SSRCs. */
int pl_rtcp_fb_header_(pl_rtcp_fb *fb, const pl_rtcp_packet *pkt, uint8_t pt,
                       uint8_t fmt);

#endif
