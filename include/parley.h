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

/* What libparley exports: every function declared here and nothing else
 * (the library is built with -fvisibility=hidden; tests/install checks the
 * exported symbols against this header). */
#if defined(__GNUC__)
#define PL_API __attribute__((visibility("default")))
#else
#define PL_API
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
  X(ECLOSED, "closed by peer")                                                 \
  X(EBUSY, "busy: the peer takes no more calls now")                           \
  X(EDENIED, "not authorized")

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
PL_API const char *pl_strerror(int err);
PL_API const char *pl_version(void);

/* Logging. The library logs state changes and errors, never per packet,
 * through one process-wide sink: by default "LEVEL [tag] msg" on stderr at
 * PL_LOG_WARN and above, or at the level the PARLEY_LOG environment
 * variable names (trace|debug|info|warn|error|off). The sink is called on
 * whichever thread logs (the loop's, a media thread) and may be called from
 * two at once: it must be thread-safe and quick. Set level and sink before
 * creating engines; sink NULL restores the stderr one. */
typedef enum {
  PL_LOG_TRACE,
  PL_LOG_DEBUG,
  PL_LOG_INFO,
  PL_LOG_WARN,
  PL_LOG_ERROR,
  PL_LOG_OFF
} pl_log_level;
typedef void (*pl_log_sink)(void *user, pl_log_level level, const char *tag,
                            const char *msg);
PL_API void pl_log_set_level(pl_log_level level);
PL_API pl_log_level pl_log_get_level(void);
PL_API void pl_log_set_sink(pl_log_sink sink, void *user);

/* ------------------------------------------------------------------------
 * Engine: binds Parley to the app's libuv loop. With loop == NULL the engine
 * runs in sans-IO mode: it opens no sockets and starts no threads, and the app
 * drives each call with pl_call_input/poll_transmit/timeout/deadline on its
 * own transport and clock (the loopback lab does this on a simulated clock).
 * ---------------------------------------------------------------------- */
struct uv_loop_s;
typedef struct pl_engine pl_engine;
typedef struct pl_call pl_call;

PL_API int pl_engine_new(pl_engine **out, struct uv_loop_s *loop);
/* Frees the engine; every call must have been freed first. */
PL_API void pl_engine_free(pl_engine *engine);

/* An engine with options. Media (capture, encode, decode, the media graph's
 * stages, playout) runs on media_threads threads, each call on one of them
 * for its whole life (the one with the fewest calls when it is made); the
 * network half of every call runs on the loop. A server answering many
 * calls sets one thread per core it may use. No effect in sans-IO mode. */
typedef struct pl_engine_config {
  int media_threads; /* 1..64 (1) */
} pl_engine_config;
PL_API void pl_engine_config_init(pl_engine_config *cfg);
/* cfg may be NULL for the defaults; PL_EINVAL for out-of-range options. */
PL_API int pl_engine_new_with(pl_engine **out, struct uv_loop_s *loop,
                       const pl_engine_config *cfg);

#define PL_ENGINE_STATS_THREADS 16
typedef struct pl_engine_stats {
  int calls, media_threads;
  /* Per media thread (the first PL_ENGINE_STATS_THREADS): its calls, its
   * 10 ms ticks, and the ticks it started a whole period late (the thread
   * had more work than time: media of its calls is then late). */
  int thread_calls[PL_ENGINE_STATS_THREADS];
  uint64_t thread_ticks[PL_ENGINE_STATS_THREADS];
  uint64_t thread_late_ticks[PL_ENGINE_STATS_THREADS];
} pl_engine_stats;
/* Any thread. */
PL_API int pl_engine_get_stats(pl_engine *engine, pl_engine_stats *out);

/* The DTLS identity of every WebRTC call on this engine (RFC 8827 6.5): by
 * default an ECDSA P-256 key and self-signed certificate made when the first
 * WebRTC call needs it; an app that wants a stable identity gives its own in
 * PEM before creating calls (PL_ESTATE after). */
PL_API int pl_engine_set_certificate(pl_engine *engine, const char *cert_pem,
                              const char *key_pem);
/* Writes "sha-256 AB:CD:..." (the a=fingerprint value) of that certificate,
 * making it first if needed. */
PL_API int pl_engine_fingerprint(pl_engine *engine, char *buf, size_t cap);

/* ------------------------------------------------------------------------
 * Audio I/O: sources and sinks speak 48 kHz float PCM, interleaved, in
 * blocks of 10 ms (480 samples per channel). They run on the media thread:
 * keep them quick and non-blocking.
 * ---------------------------------------------------------------------- */
typedef struct pl_audio_io {
  /* Source: fill up to `samples` per channel; return how many were written
   * (fewer means the source ended: the rest is silence), or a PL_E* code. */
  int (*read)(void *user, float *pcm, int samples, int channels);
  /* Sink: consume `samples` per channel; return 0 or a PL_E* code. */
  int (*write)(void *user, const float *pcm, int samples, int channels);
  void (*close)(void *user); /* called once when the call lets go of it */
  void *user;
} pl_audio_io;

/* A source reading a WAV file (16/24/32-bit int or float, any common rate,
 * resampled to 48 kHz; mono files are duplicated to stereo when needed). */
PL_API int pl_audio_io_wav_source(pl_audio_io *io, const char *path, bool loop);
/* A sink writing 16-bit PCM WAV at 48 kHz with `channels` channels. */
PL_API int pl_audio_io_wav_sink(pl_audio_io *io, const char *path, int channels);
/* A generated test tone (sine) source. */
PL_API int pl_audio_io_tone_source(pl_audio_io *io, double hz, double amplitude);

/* Sound devices through PulseAudio (or PipeWire's PulseAudio server):
 * capture and playback, by device name (pl_audio_device_list) or NULL for
 * the server's default. Each io runs the PulseAudio client on a thread of
 * its own and meets the media thread through a lock-free ring, so the call
 * never waits on the sound server; the device's clock drifting against
 * the engine's is absorbed there (docs/api.md). Created on any thread
 * before the io is handed to a call. PL_ENOTSUP in a build without
 * libpulse, PL_EIO when no server answers, PL_ENOENT for an unknown
 * device (the reason is logged). */
PL_API int pl_audio_io_pulse_source(pl_audio_io *io, const char *device);
PL_API int pl_audio_io_pulse_sink(pl_audio_io *io, const char *device);

typedef struct pl_audio_device {
  bool capture;         /* a source (microphones, sink monitors), else a sink */
  char name[256];       /* what pl_audio_io_pulse_* take */
  char description[256];
} pl_audio_device;
/* Fills up to max devices; returns how many there are (may exceed max),
 * or a PL_E* code as above. Blocks while it asks the server. */
PL_API int pl_audio_device_list(pl_audio_device *out, int max);

/* ------------------------------------------------------------------------
 * Video I/O: 8-bit I420 pictures. A source is read at the call's frame rate
 * and a sink gets each decoded picture at its playout time, both on the
 * media thread: keep them quick and non-blocking.
 * ---------------------------------------------------------------------- */
typedef struct pl_video_picture {
  const uint8_t *y, *u, *v; /* valid until the next call on the io */
  int stride_y, stride_u, stride_v;
  int width, height;
  int64_t capture_us; /* sender's capture time (the call's clock), or 0 */
  int64_t render_us;  /* sinks: when it was shown */
  uint32_t rtp_ts;
} pl_video_picture;

typedef struct pl_video_io {
  /* Source: point *pic at the next picture; 1 for a picture, 0 when the
   * source ended, or a PL_E* code. */
  int (*read)(void *user, pl_video_picture *pic);
  /* Sink: consume one decoded picture; 0 or a PL_E* code. */
  int (*write)(void *user, const pl_video_picture *pic);
  void (*close)(void *user);
  void *user;
} pl_video_io;

/* The largest picture a call sends: the decoder's default limit and what
 * --video-size allows. Bigger sources are refused (PL_ERANGE) rather than
 * encoded at a few frames a minute and dropped by the receiver. */
#define PL_VIDEO_CALL_MAX_WIDTH 3840
#define PL_VIDEO_CALL_MAX_HEIGHT 2160

/* The moving test pattern (its frame number is drawn into each picture, so
 * a receiver can match what it decoded to what was sent). 16x16 up to the
 * call maximum, else PL_EINVAL. */
PL_API int pl_video_io_pattern_source(pl_video_io *io, int width, int height);
/* A source reading a .y4m file (4:2:0 8-bit), from the start again at the
 * end when loop is set. PL_ERANGE for pictures over PL_VIDEO_CALL_MAX_*.
 * An unreadable frame ends the source (the reason is logged). */
PL_API int pl_video_io_y4m_source(pl_video_io *io, const char *path, bool loop);
/* A sink writing a .y4m file; each FRAME line carries XPL_CAPTURE_US and
 * XPL_RECV_US. The size is taken from the first picture. */
PL_API int pl_video_io_y4m_sink(pl_video_io *io, const char *path, int fps);

/* ------------------------------------------------------------------------
 * Calls
 * ---------------------------------------------------------------------- */
typedef enum {
  PL_CRYPTO_AES_CM_128_HMAC_SHA1_80 = 1,
  PL_CRYPTO_AEAD_AES_128_GCM = 2,
} pl_crypto_suite;

/* How keys and addresses are negotiated.
 * WEBRTC: JSEP (RFC 8829) with ICE (RFC 8445, trickle, consent), DTLS-SRTP
 *   (RFC 5763/5764) verified against a=fingerprint, BUNDLE and rtcp-mux on
 *   one port (RFC 8843, RFC 7983): what a browser speaks.
 * SDES: a=crypto keys (RFC 4568) and the c=/m= address, no ICE, no DTLS.
 * AUTO: offers use WEBRTC on an engine bound to a loop and SDES on a
 *   sans-IO engine (the lab, whose runs must replay exactly; DTLS draws its
 *   randomness from OpenSSL). Answers always follow the offer. */
typedef enum {
  PL_TRANSPORT_AUTO = 0,
  PL_TRANSPORT_SDES,
  PL_TRANSPORT_WEBRTC,
} pl_transport;

typedef enum {
  PL_EVENT_CONNECTED = 1, /* first authenticated media from the peer */
  PL_EVENT_REMOTE_BYE,    /* the peer said RTCP BYE (or DTLS close_notify) */
  PL_EVENT_SOURCE_ENDED,  /* our audio source ran out */
  PL_EVENT_ERROR,         /* `error` says what; the call may go on */
  PL_EVENT_TIMEOUT,       /* nothing heard from the peer for too long */
  /* WebRTC transport (state: the enum named in each line). */
  PL_EVENT_ICE_STATE,        /* pl_ice_connection_state */
  PL_EVENT_DTLS_STATE,       /* pl_dtls_transport_state; FAILED with error
                                PL_EAUTH when the fingerprint did not match */
  PL_EVENT_CONNECTION_STATE, /* pl_connection_state; FAILED or CLOSED ends
                                the call (consent expiry lands here) */
  PL_EVENT_TRACK,            /* the peer sends audio or video: detail
                                "audio MID" or "video MID" */
  PL_EVENT_LOCAL_CANDIDATE,  /* detail "candidate:..." to trickle to the peer */
  PL_EVENT_GATHERING_DONE,   /* no more local candidates: signal
                                end-of-candidates */
  /* Data channels (`channel` is the handle pl_call_create_data_channel
   * returned, or a new one the peer opened). */
  PL_EVENT_DATA_CHANNEL,      /* the peer opened a channel (detail: label) */
  PL_EVENT_DATA_OPEN,         /* a channel is open: send may be called */
  PL_EVENT_DATA_MESSAGE,      /* data/len/binary: one whole message */
  PL_EVENT_DATA_CLOSE,        /* the channel is closed (handle freed after) */
  PL_EVENT_DATA_BUFFERED_LOW, /* bufferedAmount fell to the low-water mark */
} pl_event_type;

/* W3C RTCIceConnectionState. */
typedef enum {
  PL_ICE_CONNECTION_NEW,
  PL_ICE_CONNECTION_CHECKING,
  PL_ICE_CONNECTION_CONNECTED,
  PL_ICE_CONNECTION_COMPLETED,
  PL_ICE_CONNECTION_FAILED,
  PL_ICE_CONNECTION_DISCONNECTED,
  PL_ICE_CONNECTION_CLOSED,
} pl_ice_connection_state;

/* W3C RTCDtlsTransportState. */
typedef enum {
  PL_DTLS_TRANSPORT_NEW,
  PL_DTLS_TRANSPORT_CONNECTING,
  PL_DTLS_TRANSPORT_CONNECTED, /* handshake done, fingerprint verified */
  PL_DTLS_TRANSPORT_CLOSED,
  PL_DTLS_TRANSPORT_FAILED,
} pl_dtls_transport_state;

/* W3C RTCPeerConnectionState, from the ICE and DTLS states. */
typedef enum {
  PL_CONNECTION_NEW,
  PL_CONNECTION_CONNECTING,
  PL_CONNECTION_CONNECTED,
  PL_CONNECTION_DISCONNECTED,
  PL_CONNECTION_FAILED,
  PL_CONNECTION_CLOSED,
} pl_connection_state;

/* ------------------------------------------------------------------------
 * Data channels (W3C RTCDataChannel over SCTP over DTLS, RFC 8831/8832).
 * ---------------------------------------------------------------------- */
/* W3C RTCDataChannelState. */
typedef enum {
  PL_DC_CONNECTING,
  PL_DC_OPEN,
  PL_DC_CLOSING,
  PL_DC_CLOSED,
} pl_dc_state;

/* W3C RTCDataChannelInit; all zero is an ordered, reliable, in-band
 * channel with an empty label. */
typedef struct pl_dc_init {
  const char *label;    /* up to 255 bytes */
  const char *protocol; /* up to 255 bytes */
  bool unordered;
  bool has_max_retransmits;     /* PR-SCTP: give up after this many */
  uint16_t max_retransmits;
  bool has_max_packet_lifetime; /* PR-SCTP: give up after this many ms */
  uint16_t max_packet_lifetime;
  bool negotiated;      /* pre-agreed: no DCEP, both sides use `id` */
  uint16_t id;          /* with negotiated */
  uint16_t priority;
} pl_dc_init;

/* W3C RTCDataChannelStats (messagesSent, bytesReceived, ...). */
typedef struct pl_dc_stats {
  int id;               /* SCTP stream id, -1 until the DTLS role is known */
  pl_dc_state state;
  char label[256];
  char protocol[256];
  uint64_t messages_sent, messages_received;
  uint64_t bytes_sent, bytes_received;
  uint64_t buffered_amount;
} pl_dc_stats;

PL_API const char *pl_dc_state_name(pl_dc_state s);

PL_API const char *pl_ice_connection_state_name(pl_ice_connection_state s);
PL_API const char *pl_dtls_transport_state_name(pl_dtls_transport_state s);
PL_API const char *pl_connection_state_name(pl_connection_state s);

typedef struct pl_event {
  pl_event_type type;
  int error;          /* PL_E* for PL_EVENT_ERROR (and failed states) */
  const char *detail; /* human-readable, valid during the callback */
  int state;          /* the new state of the *_STATE events */
  /* PL_EVENT_DATA_*: the channel, and for a message its bytes (valid during
   * the callback) and whether it was sent as binary (else UTF-8 text). */
  int channel;
  const uint8_t *data;
  size_t len;
  bool binary;
} pl_event;

typedef void (*pl_event_cb)(pl_call *call, const pl_event *ev, void *user);

typedef struct pl_call_config {
  const char *bind;        /* local UDP address, "127.0.0.1:0" by default */
  const char *advertise;   /* address put in SDP (sans-IO mode), else bind's */
  int channels;            /* 1 or 2 (default 1) */
  int opus_bitrate;        /* bits/s (default 32000) */
  int opus_frame_ms;       /* 10, 20, 40 or 60 (default 20) */
  bool opus_fec;           /* in-band FEC (default on) */
  bool opus_dtx;           /* discontinuous transmission (default off) */
  /* RFC 2198 redundancy (red/48000/2), always offered and accepted so that
   * the peer's RED is decoded; what we send: 0 plain Opus (default), 1 or
   * 2 previous frames in every packet, PL_RED_AUTO from the loss the peer
   * reports (docs/audio.md, "Adaptive protection"). */
  int red;
  bool opus_neural;        /* libopus >= 1.5's tools (default on; nothing on 1.3.1):
                            * deep PLC and NoLACE in the decoder, DRED on the encoder
                            * sized by the loss the peer reports, and DRED decoding */
  bool opus_bwe;           /* with opus_neural and libopus >= 1.6: the decoder's neural
                            * bandwidth extension of wideband SILK to full band
                            * (default on where built; docs/audio.md has the measurements) */
  int opus_dred_ms;        /* with opus_neural: DRED history sent at least, whatever the
                            * reported loss (default 0: as the loss asks) */
  int opus_complexity;     /* encoder complexity + 1: 1..11 for 0..10; 0 keeps the
                            * default (9). Lower costs less CPU for a little quality
                            * (a load generator, a small device) */
  pl_crypto_suite crypto;  /* preferred SRTP suite (default AES_CM_128_HMAC_SHA1_80) */
  int jitter_min_ms;       /* jitter buffer bounds (default 20 .. 500) */
  int jitter_max_ms;
  int peer_timeout_ms;     /* PL_EVENT_TIMEOUT after this silence (default 10000) */
  int consent_timeout_ms;  /* WebRTC: the connection fails when ICE consent has not
                            * been confirmed for this long (0: RFC 7675's 30 s); a
                            * server lowers it to free a vanished caller's slot sooner */
  uint64_t seed;           /* seeds SSRCs/sequence numbers in sans-IO mode; 0: random */
  pl_event_cb on_event;    /* runs on the app's loop (or inside pl_call_* in sans-IO mode) */
  void *user;
  /* WebRTC transport. Host candidates: `bind` (the first socket), each of
   * `ice_hosts` (comma-separated IPs, "127.0.0.2,::1", each bound to bind's
   * port when free, else any) and, with ice_all_interfaces, every interface
   * that is up (loopback only with ice_loopback). Sans-IO engines have one
   * socket, `advertise`. */
  pl_transport transport;  /* default AUTO */
  const char *ice_hosts;
  bool ice_all_interfaces;
  bool ice_loopback;
  const char *stun_server; /* "IP:port": server-reflexive candidates */
  bool ice_lite;           /* answer checks only (RFC 8445 2.5) */
  /* TURN (RFC 8656): up to 4 server URLs,
   * "turn:USER:PASS@IP:PORT" (UDP to the server) or "...?transport=tcp",
   * numeric addresses only, unused entries NULL; read (copied) by
   * pl_call_new, like the rest of the config. A relayed candidate is
   * gathered through each; UDP ones also yield a server-reflexive one.
   * TURN over TCP and TLS ("turns:USER:PASS@IP:PORT", the server's
   * certificate checked against turn_ca_file, else the system's CAs, and
   * its IP address) needs an engine on a libuv loop. ice_relay_only offers
   * and uses relayed candidates alone (W3C iceTransportPolicy "relay"). */
  const char *turn_servers[4];
  const char *turn_ca_file;
  bool ice_relay_only;
  /* (A password with ':' is written %3A; the last ':' before '@' splits
   * user from password, so REST usernames "expiry:user" need no escape.) */
  /* Video: an m=video section with VP8 and VP9 (preferred first), their
   * RTX types, NACK, PLI and FIR feedback. */
  bool video;
  int video_codec;         /* 8 (VP8, default) or 9 (VP9): our preference */
  int video_bitrate;       /* bits/s (default 800000) */
  int video_fps;           /* source frame rate (default 30) */
  /* Congestion control: "gcc" (default; TWCC feedback, pacing, the rates
   * follow the path) or "none" (the rates above, fixed, unpaced). */
  const char *cc;
  /* Data channels: offer an m=application section (also done when a channel
   * was created before the offer) and accept one that is offered. */
  bool data_channels;
} pl_call_config;

#define PL_RED_AUTO (-1)

/* TURN REST-API style time-limited credentials (coturn's use-auth-secret):
 * username "expiry:user", password base64(HMAC-SHA1(secret, username));
 * expiry is a Unix time in seconds. PL_EFULL when a buffer is too small
 * (the password needs 29 bytes). Any thread. */
PL_API int pl_turn_rest_credentials(const char *secret, const char *user, int64_t expiry,
                             char *username, size_t ucap, char *password, size_t pcap);

PL_API void pl_call_config_init(pl_call_config *cfg);
PL_API int pl_call_new(pl_call **out, pl_engine *engine, const pl_call_config *cfg);
/* Sends RTCP BYE (if media flowed), stops media, releases sources/sinks. */
PL_API void pl_call_free(pl_call *call);

/* The call takes the io (its close() is called when the call lets go). */
PL_API int pl_call_set_audio_source(pl_call *call, const pl_audio_io *source);
PL_API int pl_call_set_audio_sink(pl_call *call, const pl_audio_io *sink);
/* Video: the call takes the io too (PL_ENOTSUP without cfg.video). */
PL_API int pl_call_set_video_source(pl_call *call, const pl_video_io *source);
PL_API int pl_call_set_video_sink(pl_call *call, const pl_video_io *sink);
/* Asks the peer for a keyframe now (a PLI, rate-limited like any other). */
PL_API int pl_call_request_keyframe(pl_call *call);

/* Offer/answer. SDP text is NUL-terminated; cap bounds what is written.
 * PL_EFULL when cap is too small, PL_EPARSE/PL_ENOTSUP for unusable SDP. */
PL_API int pl_call_create_offer(pl_call *call, char *sdp, size_t cap);
PL_API int pl_call_accept_offer(pl_call *call, const char *offer, char *answer,
                         size_t cap);
PL_API int pl_call_accept_answer(pl_call *call, const char *answer);

/* Trickle ICE (RFC 8838): a remote candidate, "candidate:..." or
 * "a=candidate:..." (mDNS ".local" and TCP candidates are ignored: 0 is
 * returned, nothing added); "end-of-candidates" or NULL ends them. WebRTC
 * calls only (PL_ESTATE otherwise or before the remote description). */
PL_API int pl_call_add_remote_candidate(pl_call *call, const char *candidate);
/* Our candidates so far as "a=candidate:...\r\n" lines (plus
 * "a=end-of-candidates\r\n" once gathering is done); returns the length.
 * With only_new, just those not returned or put in an SDP before. */
PL_API int pl_call_local_candidates(pl_call *call, bool only_new, char *buf,
                             size_t cap);
/* Our ICE credentials ("ufrag", "pwd") for a trickle sdpfrag. */
PL_API int pl_call_ice_credentials(pl_call *call, char *ufrag, size_t ufrag_cap,
                            char *pwd, size_t pwd_cap);
/* ICE restart (RFC 8445 9, RFC 8829 5.2.1): a new offer with fresh ICE
 * credentials for an established WebRTC call; apply the peer's answer with
 * pl_call_accept_answer. Media keeps flowing on the old path meanwhile. A
 * peer's restart offer is answered by pl_call_accept_offer on an active
 * call. */
PL_API int pl_call_restart_ice(pl_call *call, char *offer, size_t cap);

/* Switch a media-graph stage ("denoise", "plc", ...) on or off mid-call.
 * PL_ENOENT when the call has no such stage. */
PL_API int pl_call_set_stage(pl_call *call, const char *name, bool on);
/* Stages that can decide for themselves take a third mode, AUTO: "extend"
 * (on while the received audio is band-limited, docs/bwe.md) and "upscale"
 * (enlarge when the display is bigger than the decoded picture, backing off
 * to bicubic while the CPU cannot keep up; docs/upscale.md); both are AUTO
 * from the start, and pl_call_set_stage(call, "extend", true) means AUTO.
 * For other stages ON/OFF are pl_call_set_stage and AUTO is PL_ENOTSUP. */
typedef enum pl_stage_mode { PL_STAGE_OFF = 0, PL_STAGE_ON = 1, PL_STAGE_AUTO = 2 } pl_stage_mode;
PL_API int pl_call_set_stage_mode(pl_call *call, const char *name, pl_stage_mode mode);
/* The size the app shows received video at, for the upscale stage; 0 x 0
 * (the default): the sender's capture size. Any thread. */
PL_API int pl_call_set_video_display(pl_call *call, int width, int height);

/* Switches the congestion controller mid-call ("gcc", "none"); the new
 * one starts from the current target. PL_ENOENT for an unknown name. */
PL_API int pl_call_set_cc(pl_call *call, const char *name);
PL_API const char *pl_call_get_cc(const pl_call *call);
/* Whether `name` is a controller this build has, and their names
 * ("none, gcc, learned"), for command lines. */
PL_API bool pl_cc_known(const char *name);
PL_API const char *pl_cc_names(void);

/* Ends the call politely: RTCP BYE now, media stops. */
PL_API int pl_call_hangup(pl_call *call);

/* ------------------------------------------------------------------------
 * Signaling over HTTP per WHIP (RFC 9725): POST /whip with an SDP offer,
 * answered by 201 Created, a Location, an ETag and the SDP answer; PATCH on
 * the Location with application/trickle-ice-sdpfrag carries trickled
 * candidates, end-of-candidates or an ICE restart (answered with 204, or
 * 200 and the server's own fragment); DELETE ends the call; GET / serves the
 * page the app set. Needs an engine bound to a libuv loop.
 *
 * Everything reaching the port is treated as hostile: the Location is
 * /whip/ and 128 random bits (the only handle on a session, so only the
 * caller who POSTed can PATCH or DELETE it); with a token, POST, PATCH and
 * DELETE also need "Authorization: Bearer TOKEN" (RFC 9725 4.5); requests
 * from a browser page on another origin are refused unless that origin is
 * allowed (CORS); a session whose ICE never completes is reaped; the HTTP
 * layer bounds time, size and connections per client (docs/reliability.md).
 * ---------------------------------------------------------------------- */
typedef struct pl_whip_server pl_whip_server;

/* Why the server lets go of a call (on_end). */
typedef enum {
  PL_WHIP_END_REFUSED = 1, /* the offer could not be applied (answered 4xx/5xx) */
  PL_WHIP_END_DELETED,     /* the session's owner sent DELETE */
  PL_WHIP_END_ABANDONED,   /* no connection: reaped a few seconds after the
                              last ICE check, at most connect_timeout_ms after
                              the POST */
  PL_WHIP_END_CLOSED,      /* the call failed or closed by itself */
} pl_whip_end_reason;

PL_API const char *pl_whip_end_reason_name(pl_whip_end_reason why);

typedef struct pl_whip_options {
  const char *token;         /* bearer token for POST/PATCH/DELETE; NULL: none */
  const char *allow_origins; /* comma-separated origins whose pages may call
                                ("https://app.example"), "*" for any; NULL:
                                only the server's own page */
  int max_sessions;          /* concurrent sessions, 1..1024 (16); past them a
                                POST gets 503 with Retry-After */
  int connect_timeout_ms;    /* reap an unconnected session after this (30000) */
  int check_idle_ms;         /* ... or this long after its last ICE check (5000) */
  int max_conns_per_ip;      /* HTTP requests in progress from one address; more
                                get 429 (0: 8). Raise it where many callers share
                                an address (a NAT, a proxy, a load test) */
} pl_whip_options;

PL_API void pl_whip_options_init(pl_whip_options *opts);

/* Called for each offer: return a new call configured as the app wants (the
 * server applies the offer to it and sends the answer), or NULL to refuse
 * with 503. on_end (may be NULL) is called when the server lets go of a call
 * it was handed, with the reason; the app then owns it again and frees it
 * (not from inside the callback: on the loop's next turn). A refused or
 * abandoned offer is no reason to stop serving. Neither callback, nor an
 * event of a call the server handles, may free the server itself: defer
 * that to the loop's next turn (a zero timer). */
typedef pl_call *(*pl_whip_offer_cb)(void *user);
typedef void (*pl_whip_end_cb)(void *user, pl_call *call, pl_whip_end_reason why);

/* opts may be NULL for the defaults; its strings are copied. */
PL_API int pl_whip_server_new(pl_whip_server **out, pl_engine *engine,
                       const char *addr, const pl_whip_options *opts,
                       pl_whip_offer_cb on_offer, pl_whip_end_cb on_end,
                       void *user);
PL_API void pl_whip_server_free(pl_whip_server *server);
/* The page served on GET / (borrowed: keep it alive while the server is). */
PL_API int pl_whip_server_set_page(pl_whip_server *server, const char *html,
                            size_t len);
/* The TCP port the server listens on (useful with port 0). */
PL_API int pl_whip_server_port(const pl_whip_server *server);

/* What the server did so far (loop thread). */
typedef struct pl_whip_stats {
  int sessions;              /* calls it holds now */
  uint64_t answered;         /* offers answered (201) */
  uint64_t busy;             /* POSTs answered 503: no slot, or the app said no */
  uint64_t refused;          /* offers that could not be applied (4xx/5xx) */
  uint64_t reaped;           /* sessions ended by the reaper (never connected,
                                or the call ended by itself) */
  uint64_t deleted;          /* sessions their owner DELETEd */
  uint64_t unknown_session;  /* PATCH/DELETE for a session that is not there */
  uint64_t unauthorized, forbidden_origin;
} pl_whip_stats;
PL_API int pl_whip_server_stats(const pl_whip_server *server, pl_whip_stats *out);

/* Offer `call` to a WHIP server at addr ("127.0.0.1:8000"); done is called
 * on the loop with 0 once the answer is applied, or a PL_E* code (PL_EBUSY
 * for 503, PL_EDENIED for 401/403). A WebRTC call then trickles: candidates
 * gathered later (server-reflexive ones) go out in PATCH requests on the
 * Location when there are any, and the server's come back in the replies,
 * until both sent end-of-candidates (RFC 9725 4.3); a server without trickle
 * (405/501) is not asked again. When the call is freed, a DELETE on the
 * Location ends the session (RFC 9725 4.2). token: NULL, or the bearer token
 * the server wants. */
typedef void (*pl_whip_done_cb)(pl_call *call, int err, int http_status,
                                void *user);
PL_API int pl_call_dial_whip(pl_call *call, const char *addr, const char *token,
                      pl_whip_done_cb done, void *user);

/* ------------------------------------------------------------------------
 * Rooms through a Janus VideoRoom (Janus's HTTP long-poll API; see
 * docs/janus.md). The room publishes the app's call (our offer, Janus's
 * answer) and subscribes to every other publisher with a new call per feed
 * (Janus's offer, our answer): one jitter buffer and decoder per feed. A
 * session keepalive goes every 25 s; pl_room_leave leaves the room and
 * destroys the session. Needs an engine bound to a libuv loop; everything
 * from the server is checked (malformed JSON, replies to transactions we
 * never sent, feeds that vanish, a Janus that restarted and no longer knows
 * the session: error 458) and reported as an event, never trusted.
 * ---------------------------------------------------------------------- */
typedef struct pl_room pl_room;

typedef enum {
  PL_ROOM_JOINED = 1,   /* our publisher's offer was answered */
  PL_ROOM_FEED_ADDED,   /* feed/display/call: a remote publisher's call, answered */
  PL_ROOM_FEED_REMOVED, /* feed/call: the room lets go of the call (it left,
                           unpublished, or failed: error); the app frees it,
                           not from inside the callback */
  PL_ROOM_ERROR,        /* error, code (Janus's), detail: the room goes on */
  PL_ROOM_FAILED,       /* the session is over (code 458: Janus restarted) */
  PL_ROOM_CLOSED,       /* after pl_room_leave: left and destroyed */
} pl_room_event_type;

typedef struct pl_room_event {
  pl_room_event_type type;
  uint64_t feed;       /* Janus's publisher id */
  const char *display; /* the publisher's display name, or "" */
  pl_call *call;
  int error;           /* PL_E* */
  int code;            /* Janus's error code, or 0 */
  const char *detail;  /* valid during the callback */
} pl_room_event;

/* A new call for a feed (configured as the app wants: a sink per feed,
 * video or not), or NULL to leave that feed out. */
typedef pl_call *(*pl_room_call_cb)(void *user, uint64_t feed, const char *display);
typedef void (*pl_room_event_cb)(void *user, const pl_room_event *ev);

/* url "http://IP:PORT/janus"; room: the VideoRoom's numeric id; display may
 * be NULL; publisher: the app's call (it stays the app's). Events run on
 * the loop. */
PL_API int pl_room_join_janus(pl_room **out, pl_engine *engine, const char *url,
                              uint64_t room, const char *display, pl_call *publisher,
                              pl_room_call_cb make_call, pl_room_event_cb on_event, void *user);
/* What the signaling saw: messages from Janus, and those it did not trust. */
typedef struct pl_room_stats {
  uint64_t messages;          /* JSON messages taken from Janus */
  uint64_t malformed;         /* unparsable, no object, no "janus" kind */
  uint64_t unknown_transactions; /* replies to transactions we never sent */
  uint64_t late_replies;      /* acks after their event, replies to abandoned ones */
  uint64_t errors;            /* Janus error replies */
  uint64_t ignored;           /* events not acted on (media, slowlink, other handles) */
  uint64_t polls, keepalives; /* long polls and keepalives sent */
  int feeds;                  /* feeds followed now */
} pl_room_stats;
PL_API int pl_room_get_stats(const pl_room *room, pl_room_stats *out);
/* Leave and destroy the session; PL_ROOM_CLOSED follows (within 10 s). */
PL_API void pl_room_leave(pl_room *room);
/* Frees the room (after CLOSED or FAILED; not from inside its callback).
 * Calls handed out by FEED_ADDED and not yet removed are the app's again. */
PL_API void pl_room_free(pl_room *room);

/* ------------------------------------------------------------------------
 * Statistics (names follow W3C webrtc-stats where one exists)
 * ---------------------------------------------------------------------- */
#define PL_MAX_STAGES 8
typedef struct pl_stage_info {
  char name[24];
  bool enabled;
  uint64_t frames;
  double avg_us, max_us; /* CPU time per frame */
  uint64_t errors;
} pl_stage_info;

typedef struct pl_call_stats {
  double duration_s;
  /* outbound-rtp */
  uint64_t packets_sent, bytes_sent;
  uint64_t packets_send_failed; /* not sent: no free buffer, SRTP protect or RTP
                                   write failed, or media before the call was up */
  double send_bitrate_bps;      /* over the last second */
  /* inbound-rtp */
  uint64_t packets_received, bytes_received;
  int64_t packets_lost;         /* cumulative, RFC 3550 A.3 */
  uint64_t packets_discarded;   /* late or duplicate, dropped by the jitter buffer */
  uint64_t packets_dropped;     /* received but malformed, failed SRTP, replayed, from a
                                   stranger or before the call was up: never reach media
                                   (after the call ends, arrivals are ignored uncounted) */
  uint64_t srtp_auth_failures, srtp_replays;
  double recv_bitrate_bps;
  double jitter_s;              /* interarrival jitter, RFC 3550 A.8 */
  double fraction_lost;         /* from the peer's last report about us */
  double rtt_s;                 /* from SR/RR, -1 until known */
  /* audio playout */
  double jitter_buffer_delay_s; /* jitterBufferDelay / jitterBufferEmittedCount */
  double jitter_buffer_target_delay_s;
  uint64_t total_samples_received, concealed_samples, silent_concealed_samples;
  uint64_t concealment_events;
  uint64_t dred_recovered_samples; /* lost samples rebuilt from DRED (not concealed) */
  uint64_t inserted_samples_for_deceleration, removed_samples_for_acceleration;
  /* fecPacketsReceived / fecPacketsDiscarded (W3C, as libwebrtc counts
   * them): Opus packets carrying LBRR and RED redundant blocks received;
   * those whose copy was never used (the original came, or too late). */
  uint64_t fec_packets_received, fec_packets_discarded;
  uint64_t red_recovered;       /* lost packets played from a RED copy */
  int red_distance;             /* what we send now: 0 (plain Opus), 1, 2 */
  int red_protection;           /* auto's choice: 0 none, 1 Opus FEC, 2 RED 1, 3 RED 2 */
  uint64_t red_packets_sent;
  double mouth_to_ear_s;        /* capture -> playout, -1 until known */
  /* WebRTC transport (zero/empty with SDES) */
  int ice_state, dtls_state, connection_state; /* the public enums */
  char local_candidate[64], remote_candidate[64]; /* selected pair, "type addr" */
  char srtp_profile[32];        /* "SRTP_AEAD_AES_128_GCM", ... */
  double dtls_connected_s;      /* negotiation -> verified DTLS, -1 until then */
  uint64_t stun_bad_integrity;  /* ICE checks dropped for MESSAGE-INTEGRITY */
  uint64_t dtls_records_discarded; /* after the handshake: forged, broken,
                                      replayed or stale DTLS records dropped */
  uint64_t ice_checks_sent, ice_checks_received, consent_ok;
  uint64_t ice_rebinds;         /* our NAT mapping changed mid-call (re-nominated) */
  uint64_t ice_restarts;        /* ICE restarts, ours or the peer's (RFC 8445 9) */
  int local_candidates, srflx_candidates, remote_candidates;
  char stun_mapped[64];         /* what the STUN server saw us as, or empty */
  /* TURN, summed over the call's servers: allocations made, application
   * bytes relayed each way, failed requests and the last allocation
   * failure in words (empty if none). */
  int relay_candidates;
  uint64_t turn_allocations, turn_bytes_sent, turn_bytes_received, turn_errors;
  char turn_error[96];
  /* video (webrtc-stats names in comments); zero without a video track */
  bool video;
  int video_codec;                  /* 8 or 9 once negotiated */
  uint64_t video_packets_sent, video_packets_received, video_bytes_received;
  int64_t video_packets_lost;
  uint64_t frames_encoded, key_frames_encoded, frames_sent_dropped;
  int frame_width_sent, frame_height_sent;
  uint64_t frames_received, frames_decoded, key_frames_decoded;
  uint64_t frames_dropped;          /* assembled or buffered but never shown */
  uint64_t decode_errors;           /* corrupt or refused by the decoder */
  uint64_t video_packets_dropped;   /* bad payloads, counted and discarded */
  int frame_width, frame_height;    /* last decoded */
  double frames_per_second;         /* decoded, last second */
  uint64_t freeze_count;            /* freezeCount */
  double total_freezes_duration_s;  /* totalFreezesDuration */
  uint64_t nack_count;              /* NACK packets we sent (nackCount) */
  uint64_t nacked_packets;          /* sequence numbers in them */
  uint64_t pli_count, fir_count;    /* we sent */
  uint64_t nacks_received, plis_received, firs_received;
  uint64_t retransmitted_packets_sent; /* RTX answers */
  uint64_t retransmissions_limited;   /* NACKed packets not resent: over the RTX budget */
  uint64_t retransmitted_packets_received;
  uint64_t keyframes_requested_by_peer; /* keyframes we made for PLI/FIR */
  double video_delay_s;             /* capture -> render, mean, -1 unknown */
  double video_jitter_buffer_delay_s; /* frame buffer render delay now */
  /* send-side voice activity: the denoise stage's voice probability, a
   * 1 s average, -1 while no detector runs; DTX packets sent (1-2 bytes,
   * libopus's or gated by that detector when opus_dtx is on) */
  double voice_activity;
  /* receive side: the band the "extend" stage restores from (Hz: 4000,
   * 6000, 8000), 0 while it is not extending (full band, or off) */
  int extend_cutoff_hz;
  uint64_t dtx_packets_sent, voice_gated_packets;
  /* send-side music probability (the classify stage, 1 s average, -1 while
   * it is off); Opus in music mode (OPUS_SIGNAL_MUSIC, music bitrate
   * floor) now, and how often the classifier switched it */
  double music_probability;
  bool opus_music;
  uint64_t opus_signal_switches;
  /* media graph */
  int n_send_stages, n_recv_stages;
  pl_stage_info send_stages[PL_MAX_STAGES], recv_stages[PL_MAX_STAGES];
  /* congestion control (sender's view; see docs/congestion.md) */
  char cc[16];                     /* the controller: "gcc", "none" */
  double cc_target_bps;            /* what all encoders may produce now */
  double cc_pacing_bps;            /* the pacer's rate (0: unpaced) */
  double cc_audio_bps, cc_video_bps; /* the target's split */
  int cc_delay_state;              /* 0 normal, 1 overusing, 2 underusing */
  bool cc_in_alr;                  /* application-limited */
  uint64_t twcc_feedback_sent, twcc_feedback_received;
  uint64_t twcc_feedback_refused;  /* malformed, or about packets never sent */
  uint64_t twcc_packets_reported, twcc_packets_lost; /* by the peer's feedback */
  double pacer_queue_max_s;        /* longest a packet waited in the pacer */
  uint64_t padding_bytes_sent;     /* probes and undershoot padding */
  uint64_t pacer_flushes;          /* stale video queues emptied (docs/congestion.md) */
  uint64_t pacer_packets_flushed;  /* ... the video and RTX packets in them */
  uint64_t video_rate_changes;     /* encoder target updates */
  uint64_t resolution_switches;    /* the ladder moved to another encode size
                                      (docs/ladder.md) */
  int frames_per_second_sent;      /* the ladder's frame rate: 30 or 15 */
  /* receive side: the peer's capture (source) size, from its RTCP APP
   * "PLCS" packet; 0 until one arrived. frame_width/height is what it
   * encodes at now, which the ladder may have made smaller. */
  int frame_width_capture, frame_height_capture;
  /* The upscale stage (docs/upscale.md): pictures the sink got enlarged,
   * how (network on every tile; some tiles bicubic because the worker was
   * behind; all bicubic), and the last enlarged size. */
  uint64_t frames_upscaled, frames_upscaled_model, upscale_fallbacks, frames_upscaled_bicubic;
  int frame_width_upscaled, frame_height_upscaled;
} pl_call_stats;

PL_API int pl_call_get_stats(pl_call *call, pl_call_stats *out);
/* The same as a W3C webrtc-stats report (what JSON.stringify makes of a
 * browser's getStats() entries): {"OTA": {"id": "OTA", "type":
 * "outbound-rtp", "kind": "audio", "packetsSent": ...}, "ITA": {...
 * "inbound-rtp" ...}, "RIA" remote-inbound-rtp, "OTV"/"ITV" with video,
 * "T01" transport, "CP01" candidate-pair}, with W3C's names and units
 * (jitterBufferDelay as a sum over jitterBufferEmittedCount); values not
 * known yet are left out. timestamp_ms: the app's clock (W3C uses ms since
 * the epoch), negative for none. Returns the length written (NUL
 * included in cap), PL_EFULL when cap is too small. Any thread. */
PL_API int pl_call_stats_json(const pl_call_stats *st, double timestamp_ms, char *buf,
                              size_t cap);

/* Data channels on a WebRTC call (config.data_channels, or a channel made
 * before the offer). Channels made before the connection open with it;
 * PL_EVENT_DATA_OPEN says when send may be called. Handles are small ints,
 * reused after PL_EVENT_DATA_CLOSE. Messages up to the peer's
 * a=max-message-size (ours is 256 KiB). */
PL_API int pl_call_create_data_channel(pl_call *call, const pl_dc_init *init);
/* Sent, or queued behind the call's send window (it keeps the data from
 * filling the path's queue ahead of the audio). PL_EFULL: the channel's
 * queue (1 MiB) cannot take it now; PL_EVENT_DATA_BUFFERED_LOW follows when
 * it can. PL_ERANGE: over the peer's maximum. Callable from inside events. */
PL_API int pl_call_dc_send(pl_call *call, int channel, const void *data, size_t len,
                    bool binary);
PL_API int pl_call_dc_close(pl_call *call, int channel);
/* PL_EVENT_DATA_BUFFERED_LOW fires when bufferedAmount falls to this. */
PL_API int pl_call_dc_set_buffered_low(pl_call *call, int channel, uint64_t bytes);
PL_API int pl_call_dc_stats(pl_call *call, int channel, pl_dc_stats *out);

/* ------------------------------------------------------------------------
 * The loopback lab from code: the core of `parley loopback`. Two calls in
 * this process, A offering and B answering, joined by two emulated links,
 * run on a simulated clock that jumps to the next deadline (a 30 s call
 * takes about a second of CPU; the same seed gives the same run). It runs
 * on the calling thread and opens no sockets: any thread may run its own.
 * ---------------------------------------------------------------------- */
typedef struct pl_loopback_config {
  /* Network: a preset name ("clean", "lte", "loss-10", ...) or "key=value,..." flags,
   * exactly as `parley loopback --net` takes them; NULL is a clean link. */
  const char *net;
  const char *send;   /* WAV both calls send, looped; NULL: a 440 Hz tone */
  double duration_s;  /* simulated seconds (default 10, at most 3600) */
  uint64_t seed;      /* default 1 */
  pl_call_config call; /* both calls (the lab sets bind, advertise, seed,
                          on_event; audio only) */
  /* Media-graph stages switched on in both calls, comma-separated
   * ("denoise,plc"); NULL: none. */
  const char *stages;
} pl_loopback_config;

typedef struct pl_loopback_direction {
  pl_call_stats receiver, sender; /* final stats of each end */
  /* The received audio against what was sent (with `send`; NAN with the
   * tone): one alignment over the whole call, then STOI (0..1), SI-SDR in
   * dB and the delay found. */
  double stoi, si_sdr_db, delay_ms;
  uint64_t link_packets, link_lost; /* offered to the link, lost on it */
} pl_loopback_direction;

typedef struct pl_loopback_result {
  pl_loopback_direction dir[2]; /* [0]: A -> B, [1]: B -> A */
  double duration_s;
} pl_loopback_result;

PL_API void pl_loopback_config_init(pl_loopback_config *cfg);
/* Runs one lab call. PL_EINVAL, PL_ENOENT/PL_EPARSE for an unknown net
 * spec or stage, a WAV error; err (may be NULL) gets the reason in words. */
PL_API int pl_loopback_run(const pl_loopback_config *cfg, pl_loopback_result *out,
                           char *err, size_t err_cap);

/* ------------------------------------------------------------------------
 * Sans-IO mode (engine created with loop == NULL). Times are microseconds on
 * the app's monotonic clock. After pl_call_input or pl_call_timeout, drain
 * pl_call_poll_transmit until it returns 0, then call pl_call_timeout again at
 * pl_call_deadline.
 * ---------------------------------------------------------------------- */
PL_API int pl_call_input(pl_call *call, int64_t now_us, const void *from_sockaddr,
                  const uint8_t *data, size_t len);
PL_API int pl_call_timeout(pl_call *call, int64_t now_us);
/* Copies the next datagram to send into buf and its destination into
 * to_sockaddr (a struct sockaddr_storage); returns its length, 0 if none. */
PL_API int pl_call_poll_transmit(pl_call *call, uint8_t *buf, size_t cap,
                          void *to_sockaddr);
PL_API int64_t pl_call_deadline(pl_call *call);

#ifdef __cplusplus
}
#endif
#endif /* PARLEY_H */
