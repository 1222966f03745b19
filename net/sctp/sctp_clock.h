/* usrsctp's view of time follows the call's clock (sctp_clock.c). */
#ifndef PL_NET_SCTP_CLOCK_H
#define PL_NET_SCTP_CLOCK_H

#include <stdint.h>

void pl_sctp_clock_init(void);
/* The call's clock moved forward by us microseconds. */
void pl_sctp_clock_add(int64_t us);

#endif
