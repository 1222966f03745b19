/* A deterministic moving test picture: colour bars, a scrolling textured
 * band, a bouncing box and the frame number drawn in pixels. The same index
 * always gives the same picture, so tests can compare decoded frames to the
 * source and read the number back to know which frame they are looking at. */
#ifndef PL_VIDEO_PATTERN_H
#define PL_VIDEO_PATTERN_H

#include <stdint.h>

#include "video/frame.h"

#define PL_PATTERN_DIGITS 6 /* the counter shows index mod 10^6 */

/* Draws frame `index` into f at f's size (any size from 16 x 16) and sets
 * f->index. */
void pl_pattern_draw(pl_video_frame *f, int64_t index);

/* Reads the counter back (index mod 10^6), -1 when the picture is too
 * damaged or too small to read. Survives lossy coding at the size it was
 * drawn at; meant for tests. */
int64_t pl_pattern_read_index(const pl_video_frame *f);

#endif
