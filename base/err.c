/* Error text for the PL_E* codes of parley.h. */
#include "parley.h"

static const char *const pl_err_text[] = {
#define PL_ERR_TEXT_(name, text) text,
    PL_ERRNO_MAP(PL_ERR_TEXT_)
#undef PL_ERR_TEXT_
};

const char *pl_strerror(int err) {
  if (err >= 0)
    return "success";
  int idx = -err - 1;
  if (idx >= (int)(sizeof pl_err_text / sizeof pl_err_text[0]))
    return "unknown error";
  return pl_err_text[idx];
}

const char *pl_version(void) {
#define PL_STR2_(x) #x
#define PL_STR_(x) PL_STR2_(x)
  return PL_STR_(PL_VERSION_MAJOR) "." PL_STR_(PL_VERSION_MINOR) "." PL_STR_(
      PL_VERSION_PATCH);
}
