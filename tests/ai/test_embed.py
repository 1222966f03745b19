"""ai.train.embed: a model emitted as a C array compiles, links against
libparley and loads in place with pl_model_load_static (no copy).

    /usr/bin/python3 tests/ai/test_embed.py --cc cc --lib build/libparley.a --src ."""
import argparse
import os
import shlex
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, REPO)
try:
    import numpy as np
except ImportError:
    print("FAIL: numpy is needed (python3-numpy)")
    sys.exit(1)

from ai.train.embed import emit_c  # noqa: E402
from ai.train.plmd import PlmdWriter  # noqa: E402

MAIN = r"""
#include <stdio.h>
#include <string.h>
#include "ai/model/model.h"
extern const unsigned char pl_model_embedtest[];
extern const size_t pl_model_embedtest_len;
int main(void) {
  pl_model *m;
  char why[PL_MODEL_WHY_LEN];
  int rc = pl_model_load_static(&m, pl_model_embedtest, pl_model_embedtest_len, why, sizeof why);
  if (rc) { printf("load failed: %s\n", why); return 1; }
  const pl_tensor *t;
  if (pl_model_get_tensor(m, &t, "w", PL_DTYPE_F32, 2, 3, 4)) return 2;
  const float *f = t->data;
  /* In place: the tensor lives inside the compiled array. */
  if ((const unsigned char *)f < pl_model_embedtest ||
      (const unsigned char *)f >= pl_model_embedtest + pl_model_embedtest_len) return 3;
  char v[32];
  if (pl_model_meta_get(m, "origin", v, sizeof v) || strcmp(v, "embed-test")) return 4;
  printf("%s %g %g\n", pl_model_name(m), f[0], f[11]);
  pl_model_free(m);
  return 0;
}
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cc", required=True)
    ap.add_argument("--lib", required=True)
    ap.add_argument("--src", required=True)
    ap.add_argument("--flags", default="")
    a = ap.parse_args()
    w = PlmdWriter("embedded", "test", {"origin": "embed-test"})
    w.add("w", np.arange(12, dtype=np.float32).reshape(3, 4) * 0.5)
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "model.c"), "w") as f:
            f.write(emit_c(w.to_bytes(), "pl_model_embedtest"))
        with open(os.path.join(d, "main.c"), "w") as f:
            f.write(MAIN)
        exe = os.path.join(d, "embedtest")
        cmd = ([a.cc, "-std=c17", "-Wall", "-Wextra", "-Werror"] + shlex.split(a.flags)
               + ["-I", a.src, "-I", os.path.join(a.src, "include"),
                  os.path.join(d, "main.c"), os.path.join(d, "model.c"), a.lib,
                  "-lm", "-lpthread", "-o", exe])
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode:
            print("FAIL: compile:", " ".join(cmd), r.stderr, sep="\n")
            return 1
        r = subprocess.run([exe], capture_output=True, text=True)
        if r.returncode or r.stdout.strip() != "embedded 0 5.5":
            print(f"FAIL: embedded model run: rc {r.returncode}: {r.stdout} {r.stderr}")
            return 1
    print("ok   embedded C array compiles and loads in place")
    return 0


if __name__ == "__main__":
    sys.exit(main())
