#include "video/payload/payload.h"

#include "parley.h"

int pl_payload_split_init(pl_payload_split *s, size_t len, size_t cap_first,
                          size_t cap_rest) {
  if (len == 0 || cap_first == 0 || cap_rest == 0 || cap_first > cap_rest)
    return PL_EINVAL;
  s->len = len;
  if (len <= cap_first) {
    *s = (pl_payload_split){len, 1, len, 0, 0};
    return 0;
  }
  s->n = 1 + (len - cap_first + cap_rest - 1) / cap_rest;
  /* An even share for everyone, but the first cannot exceed its cap; the
   * others then share the rest, which fits since cap_first <= cap_rest. */
  s->first = len / s->n < cap_first ? len / s->n : cap_first;
  size_t rest = len - s->first;
  s->base = rest / (s->n - 1);
  s->rem = rest % (s->n - 1);
  return 0;
}

size_t pl_payload_split_size(const pl_payload_split *s, size_t i) {
  if (i >= s->n)
    return 0;
  if (i == 0)
    return s->first;
  return s->base + (i - 1 < s->rem ? 1 : 0);
}

void pl_video_pic_counter_init(pl_video_pic_counter *c, uint16_t first_id) {
  c->picture_id = first_id & 0x7fff;
  c->tl0picidx = 0;
  c->started = false;
}

void pl_video_pic_counter_next(pl_video_pic_counter *c, uint8_t tid,
                               uint16_t *picture_id, uint8_t *tl0picidx) {
  if (c->started) {
    c->picture_id = (c->picture_id + 1) & 0x7fff;
    if (tid == 0)
      c->tl0picidx++;
  }
  c->started = true;
  *picture_id = c->picture_id;
  *tl0picidx = c->tl0picidx;
}
