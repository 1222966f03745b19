/* SDP for the video track (call_video_sdp.c), used by the SDES and JSEP
 * offer/answer code. */
#ifndef PL_ENGINE_CALL_VIDEO_SDP_H
#define PL_ENGINE_CALL_VIDEO_SDP_H

#include "net/sdp/sdp.h"

struct pl_call;

/* The first m=video section of s, or NULL. */
const pl_sdp_media *pl_call_video_sdp_find(const pl_sdp *s);
/* Fills m's codecs, SSRCs and mid: an offer (both codecs) before the peer's
 * description was taken, an answer (the chosen codec) after. The caller
 * sets port, proto, address and transport. */
int pl_call_video_sdp_section(struct pl_call *c, pl_sdp_media *m, const char *mid);
/* Reads the peer's m=video (NULL: none): codec, payload types, feedback,
 * SSRCs. A section we cannot use leaves video off; never an error. */
int pl_call_video_sdp_take(struct pl_call *c, const pl_sdp *s, const pl_sdp_media *m);

#endif
