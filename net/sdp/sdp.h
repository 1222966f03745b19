/* SDP (RFC 8866) for the JSEP subset WebRTC uses (RFC 8829): parse a
 * browser's offer or answer into fixed-size structs, write one back as CRLF
 * text, and build an answer to a remote offer from our capabilities.
 * Everything is bounded: excess items are dropped and counted, never grown. */
#ifndef PL_NET_SDP_H
#define PL_NET_SDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PL_SDP_MAX_INPUT 65536 /* bytes of SDP text we accept */
#define PL_SDP_MAX_MEDIA 16
#define PL_SDP_MAX_CODECS 48 /* Chromium 156 offers 23 video payload types */
#define PL_SDP_MAX_FMTP_PARAMS 16
#define PL_SDP_MAX_FB_OTHER 4
#define PL_SDP_MAX_EXTMAPS 24
#define PL_SDP_MAX_CANDIDATES 32
#define PL_SDP_MAX_SSRCS 16
#define PL_SDP_MAX_SSRC_GROUPS 8
#define PL_SDP_MAX_GROUP_SSRCS 4
#define PL_SDP_MAX_MSIDS 4
#define PL_SDP_MAX_ATTRS 32 /* unknown attributes kept per section */
#define PL_SDP_MAX_CRYPTO 8
#define PL_SDP_MAX_GROUPS 4
#define PL_SDP_MAX_GROUP_MIDS PL_SDP_MAX_MEDIA
#define PL_SDP_MAX_FINGERPRINTS 2
#define PL_SDP_MAX_BANDWIDTHS 4

#define PL_SDP_TOKEN_LEN 65 /* mid, msid ids (RFC 8830: 1*64), cname */
#define PL_SDP_ICE_LEN 257  /* ice-ufrag / ice-pwd: up to 256 chars */
#define PL_SDP_ATTR_NAME_LEN 64
#define PL_SDP_ATTR_VALUE_LEN 256
#define PL_SDP_FMTP_LEN 256

typedef enum pl_sdp_dir {
  PL_SDP_DIR_UNSET = 0, /* no direction attribute: sendrecv (RFC 8866 6.7) */
  PL_SDP_SENDRECV,
  PL_SDP_SENDONLY,
  PL_SDP_RECVONLY,
  PL_SDP_INACTIVE,
} pl_sdp_dir;

typedef enum pl_sdp_setup { /* RFC 4145 4 */
  PL_SDP_SETUP_UNSET = 0,
  PL_SDP_SETUP_ACTPASS,
  PL_SDP_SETUP_ACTIVE,
  PL_SDP_SETUP_PASSIVE,
  PL_SDP_SETUP_HOLDCONN,
} pl_sdp_setup;

typedef enum pl_sdp_media_type {
  PL_SDP_AUDIO,
  PL_SDP_VIDEO,
  PL_SDP_APPLICATION,
  PL_SDP_OTHER, /* kept with its name in pl_sdp_media.media */
} pl_sdp_media_type;

/* RTCP feedback (RFC 4585 4.2, RFC 5104, transport-cc, REMB) as bits. */
enum {
  PL_SDP_FB_NACK = 1u << 0,
  PL_SDP_FB_NACK_PLI = 1u << 1,
  PL_SDP_FB_CCM_FIR = 1u << 2,
  PL_SDP_FB_TRANSPORT_CC = 1u << 3,
  PL_SDP_FB_GOOG_REMB = 1u << 4,
};

typedef struct pl_sdp_fb {
  uint32_t bits; /* PL_SDP_FB_* */
  uint8_t n_other;
  char other[PL_SDP_MAX_FB_OTHER][32]; /* e.g. "ccm tmmbr", as written */
} pl_sdp_fb;

/* One key=value pair of an fmtp line, as offsets into pl_sdp_codec.fmtp. */
typedef struct pl_sdp_fmtp_param {
  uint16_t key_off, key_len, val_off, val_len;
} pl_sdp_fmtp_param;

typedef struct pl_sdp_codec {
  uint8_t pt;
  bool has_rtpmap;
  char name[32];    /* "opus", "VP8", as written */
  uint32_t clock;   /* Hz */
  uint8_t channels; /* 0: not given in rtpmap */
  char fmtp[PL_SDP_FMTP_LEN]; /* empty: no a=fmtp */
  uint8_t n_params;           /* fmtp split at ';' into key=value */
  pl_sdp_fmtp_param params[PL_SDP_MAX_FMTP_PARAMS];
  pl_sdp_fb fb;
} pl_sdp_codec;

typedef struct pl_sdp_extmap { /* RFC 8285 5 */
  uint16_t id;
  pl_sdp_dir dir; /* UNSET when the line has no "/direction" */
  char uri[128];
  char attrs[64]; /* extension attributes after the URI, or empty */
} pl_sdp_extmap;

typedef enum pl_sdp_cand_type {
  PL_SDP_CAND_HOST,
  PL_SDP_CAND_SRFLX,
  PL_SDP_CAND_PRFLX,
  PL_SDP_CAND_RELAY,
  PL_SDP_CAND_OTHER, /* its token is in type_name */
} pl_sdp_cand_type;

/* RFC 8839 5.1 candidate-attribute, plus the extensions browsers send. */
typedef struct pl_sdp_candidate {
  char foundation[33]; /* 1*32 ice-char */
  uint16_t component;  /* 1..256 */
  char transport[16];  /* "udp", "tcp", as written */
  uint32_t priority;
  char address[96]; /* IP literal or FQDN (Chromium sends mDNS names) */
  uint16_t port;
  pl_sdp_cand_type type;
  char type_name[16];
  bool has_raddr, has_rport;
  char raddr[64];
  uint16_t rport;
  char tcptype[16];        /* RFC 6544: active/passive/so, or empty */
  int32_t generation;      /* -1 when absent */
  char ufrag[PL_SDP_ICE_LEN]; /* empty when absent */
  int32_t network_id;      /* -1 when absent */
  int32_t network_cost;    /* -1 when absent */
  char ext[128]; /* other "name value" extension pairs, as written */
} pl_sdp_candidate;

typedef struct pl_sdp_fingerprint { /* RFC 8122 5 */
  char alg[16]; /* "sha-256", as written */
  uint8_t len;
  uint8_t digest[64];
} pl_sdp_fingerprint;

typedef struct pl_sdp_transport {
  char ice_ufrag[PL_SDP_ICE_LEN];
  char ice_pwd[PL_SDP_ICE_LEN];
  char ice_options[64]; /* "trickle", space separated as written */
  uint8_t n_fingerprints;
  pl_sdp_fingerprint fingerprints[PL_SDP_MAX_FINGERPRINTS];
  pl_sdp_setup setup;
} pl_sdp_transport;

typedef struct pl_sdp_msid { /* RFC 8830 */
  char stream[PL_SDP_TOKEN_LEN];
  char track[PL_SDP_TOKEN_LEN]; /* may be empty */
} pl_sdp_msid;

typedef struct pl_sdp_ssrc { /* RFC 5576 */
  uint32_t ssrc;
  char cname[PL_SDP_TOKEN_LEN];
  bool has_msid;
  pl_sdp_msid msid;
} pl_sdp_ssrc;

typedef struct pl_sdp_ssrc_group {
  char semantics[16]; /* "FID", "SIM", "FEC-FR" */
  uint8_t n;
  uint32_t ssrcs[PL_SDP_MAX_GROUP_SSRCS];
} pl_sdp_ssrc_group;

typedef struct pl_sdp_attr { /* an attribute we do not interpret */
  char name[PL_SDP_ATTR_NAME_LEN];
  bool has_value; /* "a=name:value" (even empty) vs "a=name" */
  char value[PL_SDP_ATTR_VALUE_LEN];
} pl_sdp_attr;

typedef struct pl_sdp_bandwidth {
  char type[16]; /* "AS", "TIAS" */
  uint32_t value;
} pl_sdp_bandwidth;

typedef struct pl_sdp_conn { /* c= */
  bool present;
  char addrtype[4]; /* "IP4" / "IP6" */
  char addr[64];    /* with any /ttl suffix, as written */
} pl_sdp_conn;

typedef struct pl_sdp_group { /* RFC 5888 a=group */
  char semantics[16]; /* "BUNDLE" */
  uint8_t n;
  char mids[PL_SDP_MAX_GROUP_MIDS][PL_SDP_TOKEN_LEN];
} pl_sdp_group;

typedef struct pl_sdp_media {
  pl_sdp_media_type type;
  char media[16]; /* m= media token */
  uint16_t port;
  uint16_t port_count; /* 0: no "/count" */
  char proto[32];
  bool is_rtp;        /* proto carries RTP: fmts are payload types */
  uint8_t n_codecs;   /* RTP: one per m= payload type, in m= order */
  pl_sdp_codec codecs[PL_SDP_MAX_CODECS];
  char fmt[64];       /* non-RTP fmt list, "webrtc-datachannel" */
  pl_sdp_conn conn;
  uint8_t n_bandwidths;
  pl_sdp_bandwidth bandwidths[PL_SDP_MAX_BANDWIDTHS];
  char mid[PL_SDP_TOKEN_LEN];
  pl_sdp_dir dir;
  bool rtcp_mux, rtcp_mux_only, rtcp_rsize, bundle_only, extmap_allow_mixed;
  pl_sdp_fb fb_all; /* a=rtcp-fb:* lines */
  uint8_t n_msids;
  pl_sdp_msid msids[PL_SDP_MAX_MSIDS];
  uint8_t n_ssrcs;
  pl_sdp_ssrc ssrcs[PL_SDP_MAX_SSRCS];
  uint8_t n_ssrc_groups;
  pl_sdp_ssrc_group ssrc_groups[PL_SDP_MAX_SSRC_GROUPS];
  uint8_t n_extmaps;
  pl_sdp_extmap extmaps[PL_SDP_MAX_EXTMAPS];
  pl_sdp_transport transport; /* media-level; see pl_sdp_media_transport */
  uint8_t n_candidates;
  pl_sdp_candidate candidates[PL_SDP_MAX_CANDIDATES];
  bool end_of_candidates;
  uint8_t n_crypto;
  char crypto[PL_SDP_MAX_CRYPTO][PL_SDP_ATTR_VALUE_LEN]; /* for sdes.h */
  uint16_t sctp_port;         /* RFC 8841; 0: absent */
  bool has_max_message_size;  /* 0 is meaningful: no limit */
  uint64_t max_message_size;
  uint8_t n_attrs;
  pl_sdp_attr attrs[PL_SDP_MAX_ATTRS];
} pl_sdp_media;

typedef struct pl_sdp {
  char origin_user[64];
  uint64_t sess_id, sess_version;
  char origin_addrtype[4];
  char origin_addr[64];
  char name[64]; /* s= */
  uint64_t t_start, t_stop;
  pl_sdp_conn conn;
  uint8_t n_bandwidths;
  pl_sdp_bandwidth bandwidths[PL_SDP_MAX_BANDWIDTHS];
  uint8_t n_groups;
  pl_sdp_group groups[PL_SDP_MAX_GROUPS];
  bool has_msid_semantic;
  char msid_semantic[64]; /* "WMS" or "WMS *", after "a=msid-semantic:" */
  bool ice_lite, extmap_allow_mixed;
  pl_sdp_dir dir; /* session-level default direction */
  pl_sdp_transport transport;
  uint8_t n_attrs;
  pl_sdp_attr attrs[PL_SDP_MAX_ATTRS];
  uint8_t n_media;
  pl_sdp_media media[PL_SDP_MAX_MEDIA];
  /* Items beyond a bound (media, codecs, candidates, attributes, over-long
   * values) that parsing left out, and lines it skipped on purpose (i=, u=,
   * rtpmap for a payload type not on the m= line, ...). */
  uint32_t dropped, ignored;
} pl_sdp;

typedef struct pl_sdp_error {
  unsigned line;      /* 1-based; 0 when the input as a whole is wrong */
  const char *reason; /* static text */
} pl_sdp_error;

/* A zeroed pl_sdp on the heap (it is several hundred KiB), or NULL. */
pl_sdp *pl_sdp_new(void);
void pl_sdp_free(pl_sdp *s);
void pl_sdp_reset(pl_sdp *s);

/* Parses n bytes (CRLF or LF line ends, at most PL_SDP_MAX_INPUT). Returns
 * 0, or PL_EPARSE with err (if not NULL) naming the line and the reason;
 * PL_ERANGE when n is over the cap. Unknown attributes are kept, never
 * fatal; a malformed known attribute is an error. */
int pl_sdp_parse(pl_sdp *s, const char *text, size_t n, pl_sdp_error *err);

/* Writes CRLF text with a NUL after it; returns its length, or PL_EFULL
 * when cap is too small, PL_EINVAL for a struct that cannot be written. */
int pl_sdp_write(const pl_sdp *s, char *buf, size_t cap);

/* "candidate:..." or "a=candidate:..." (trickled candidates arrive alone). */
int pl_sdp_candidate_parse(pl_sdp_candidate *c, const char *text, size_t n);
/* Writes "candidate:..." without "a=" or line end; returns length. */
int pl_sdp_candidate_write(const pl_sdp_candidate *c, char *buf, size_t cap);

/* "sha-256 AB:CD:..." (the a=fingerprint value). */
int pl_sdp_fingerprint_parse(pl_sdp_fingerprint *f, const char *text,
                             size_t n);
int pl_sdp_fingerprint_write(const pl_sdp_fingerprint *f, char *buf,
                             size_t cap);

/* Replaces a codec's fmtp text and re-splits its parameters; PL_EFULL when
 * the text does not fit. */
int pl_sdp_codec_set_fmtp(pl_sdp_codec *c, const char *text);
/* Value of an fmtp key (case-insensitive), not NUL terminated; NULL if absent. */
const char *pl_sdp_fmtp_get(const pl_sdp_codec *c, const char *key,
                            size_t *len);

pl_sdp_codec *pl_sdp_media_codec(pl_sdp_media *m, uint8_t pt);
const pl_sdp_media *pl_sdp_find_mid(const pl_sdp *s, const char *mid);
const pl_sdp_group *pl_sdp_find_group(const pl_sdp *s, const char *semantics);
/* Direction after applying the session-level default (UNSET -> SENDRECV). */
pl_sdp_dir pl_sdp_media_dir(const pl_sdp *s, const pl_sdp_media *m);
/* ICE and DTLS parameters for a section: media-level fields, falling back
 * to session-level ones field by field. */
void pl_sdp_media_transport(const pl_sdp *s, const pl_sdp_media *m,
                            pl_sdp_transport *out);
const char *pl_sdp_dir_name(pl_sdp_dir d);

/* ---- offer/answer (RFC 8829 5.3, RFC 3264 6) ---- */

typedef struct pl_sdp_codec_cap {
  pl_sdp_media_type type;
  char name[32];     /* matched case-insensitively */
  uint32_t clock;
  uint8_t channels;  /* 0 or 1 match an offer without channels */
  char fmtp[PL_SDP_FMTP_LEN]; /* our fmtp for the answer; empty: echo the offer's */
  /* fmtp keys whose values must equal the offer's for a match (e.g.
   * "packetization-mode", "profile-id"), space separated; an absent key
   * matches an absent key. */
  char fmtp_match[64];
  uint32_t fb; /* PL_SDP_FB_* we support with this codec */
} pl_sdp_codec_cap;

#define PL_SDP_MAX_CAPS 16
#define PL_SDP_MAX_CAP_EXTMAPS 16

typedef struct pl_sdp_caps {
  uint8_t n_codecs;
  pl_sdp_codec_cap codecs[PL_SDP_MAX_CAPS]; /* in our preference order */
  /* Accept "rtx" (RFC 4588) for every accepted codec the offer pairs with
   * an rtx payload type through apt=. */
  bool rtx;
  uint8_t n_extmaps;
  char extmaps[PL_SDP_MAX_CAP_EXTMAPS][128]; /* header extension URIs */
  pl_sdp_dir audio_dir, video_dir;          /* what we want; UNSET: sendrecv */
  bool datachannel;                          /* accept m=application SCTP */
  uint16_t sctp_port;                        /* 0: 5000 */
  uint64_t max_message_size;                 /* 0: 262144 */
  bool extmap_allow_mixed;
} pl_sdp_caps;

/* Our side of the transport, copied into every accepted section. */
typedef struct pl_sdp_local {
  uint64_t sess_id; /* < 2^63 per RFC 8829 5.2.1 */
  char ice_ufrag[PL_SDP_ICE_LEN];
  char ice_pwd[PL_SDP_ICE_LEN];
  pl_sdp_fingerprint fingerprint;
  pl_sdp_setup setup; /* UNSET: active (RFC 8829 5.3.1 recommends it) */
  bool ice_lite;
} pl_sdp_local;

/* Builds `answer` for `offer`: same m= sections in the same order and with
 * the same mids; accepted codecs keep the offer's payload types, in the
 * offer's order; rtcp-fb and extmaps are the intersection (offer's ids);
 * a section with nothing in common, a rejected offer section, or a kind we
 * do not take is rejected with port 0; direction is the offer's reversed and
 * limited by what we want; BUNDLE holds the accepted mids the offer bundled.
 * SSRCs and msids of what we send are the caller's to add. */
int pl_sdp_answer(pl_sdp *answer, const pl_sdp *offer, const pl_sdp_caps *caps,
                  const pl_sdp_local *local);

#endif
