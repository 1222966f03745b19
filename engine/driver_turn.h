/* TURN over TCP and TLS, the libuv side (driver_turn.c): the driver opens
 * one connection per such server of a call and writes the frames the call
 * queued on PL_CALL_TCP_SOCK + i to it. Loop thread only. */
#ifndef PL_ENGINE_DRIVER_TURN_H
#define PL_ENGINE_DRIVER_TURN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pl_call;
typedef struct pl_turn_tcp pl_turn_tcp;

/* Connects to each TCP/TLS server of the call into slots[i]; returns how
 * many libuv handles it opened (each ends in pl_driver_handle_closed_). */
int pl_driver_turn_open(struct pl_call *c, pl_turn_tcp **slots);
/* A frame onto the connection (encrypted for turns:); UV_ENOBUFS when it
 * cannot go whole: a counted drop, never a cut frame. */
int pl_driver_turn_send(pl_turn_tcp *t, const uint8_t *p, size_t n);
void pl_driver_turn_close(pl_turn_tcp *t);

/* driver.c, for driver_turn.c */
void pl_driver_service_(struct pl_call *c);
bool pl_driver_is_open_(const struct pl_call *c);
void pl_driver_handle_closed_(struct pl_call *c);

#endif
