/* The clock usrsctp reads. usrsctp times RTT samples, retransmission
 * eligibility (a chunk is resent only if it was sent an RTO ago), cookie
 * lifetime and PR-SCTP lifetimes with gettimeofday(), while its timers run
 * on the ticks we hand it. On a simulated clock the two disagree and
 * nothing is ever retransmitted. So calls to gettimeofday() made from inside
 * libusrsctp (found by the return address) read the call's clock instead:
 * a virtual time that moves exactly as the clock handed to pl_sctp_* does.
 * Every other caller gets the real time. docs/datachannel.md explains. */
#include <link.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <usrsctp.h>

#include "net/sctp/sctp_clock.h"

/* Set once (under the SCTP lock) and read by every gettimeofday() caller on
 * any thread: atomics. The virtual time itself is only read and written
 * inside usrsctp calls, which hold the SCTP lock. */
static _Atomic uintptr_t g_lo, g_hi; /* libusrsctp's loaded segments */
static _Atomic bool g_virt_on;
static int64_t g_virt_us;            /* virtual time given to usrsctp */

static int find_lib(struct dl_phdr_info *info, size_t size, void *data) {
  (void)size;
  uintptr_t target = (uintptr_t)data, lo = UINTPTR_MAX, hi = 0;
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    if (ph->p_type != PT_LOAD)
      continue;
    uintptr_t a = info->dlpi_addr + ph->p_vaddr;
    if (a < lo) lo = a;
    if (a + ph->p_memsz > hi) hi = a + ph->p_memsz;
  }
  if (target >= lo && target < hi) {
    atomic_store(&g_lo, lo);
    atomic_store(&g_hi, hi);
    return 1;
  }
  return 0;
}

void pl_sctp_clock_init(void) {
  if (!atomic_load(&g_hi))
    dl_iterate_phdr(find_lib, (void *)(uintptr_t)&usrsctp_handle_timers);
  if (!g_virt_on) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    g_virt_us = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
    atomic_store(&g_virt_on, true);
  }
}

void pl_sctp_clock_add(int64_t us) {
  if (us > 0)
    g_virt_us += us;
}

/* Default visibility: the library is built -fvisibility=hidden, and a
 * hidden definition is not the one libusrsctp (a shared library) binds to.
 * tests/install/test_exports.sh lets this one name through. */
__attribute__((visibility("default"))) int gettimeofday(struct timeval *restrict tv,
                                                        void *restrict tz) {
  if (tz) /* as glibc: an obsolete timezone, always zero */
    memset(tz, 0, sizeof(struct timezone));
  uintptr_t ra = (uintptr_t)__builtin_return_address(0);
  if (atomic_load_explicit(&g_virt_on, memory_order_relaxed) &&
      ra >= atomic_load_explicit(&g_lo, memory_order_relaxed) &&
      ra < atomic_load_explicit(&g_hi, memory_order_relaxed)) {
    tv->tv_sec = (time_t)(g_virt_us / 1000000);
    tv->tv_usec = (suseconds_t)(g_virt_us % 1000000);
    return 0;
  }
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  tv->tv_sec = ts.tv_sec;
  tv->tv_usec = ts.tv_nsec / 1000;
  return 0;
}
