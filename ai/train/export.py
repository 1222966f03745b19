"""Export torch weights to PLMD with where-they-came-from metadata."""
import datetime
import os
import shlex
import subprocess
import sys

import numpy as np

from ai.train.plmd import PlmdWriter

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def git_commit():
    """HEAD of the repository, with "-dirty" when the tree has changes."""
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True,
                              text=True, timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain"],
                               cwd=REPO, capture_output=True, text=True, timeout=10).stdout
        return head + ("-dirty" if dirty.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def command_line():
    """How this process was started, as one would retype it."""
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    argv = (["-m", spec.name] if spec is not None and spec.name else sys.argv[:1]) + sys.argv[1:]
    return " ".join(shlex.quote(a) for a in [sys.executable] + argv)


def run_metadata(extra=None):
    import torch
    meta = {
        "git_commit": git_commit(),
        "command": command_line(),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "torch": torch.__version__,
    }
    meta.update(extra or {})
    return meta


def module_tensors(module):
    """state_dict as float32 numpy arrays, under the names C looks up."""
    out = {}
    for name, t in module.state_dict().items():
        if t.dtype.is_floating_point:
            out[name] = t.detach().cpu().numpy().astype(np.float32)
    return out


def export(path, name, kind, tensors, meta=None, arch=None, int8=()):
    """Write tensors {name: array} to path. int8: names to quantise
    (per-output-channel); arch: layer lines for pl_nn_seq."""
    w = PlmdWriter(name, kind)
    for k, v in (meta or {}).items():
        w.add_meta(k, str(v).replace("\n", " "))
    for i, line in enumerate(arch or []):
        w.add_meta(f"arch.{i}", line)
    for tname, arr in tensors.items():
        arr = np.asarray(arr, dtype=np.float32)
        if arr.ndim == 0:
            arr = arr.reshape(1)
        if tname in int8:
            w.add_int8(tname, arr)
        else:
            w.add(tname, arr)
    w.save(path)
    return path


def export_stack(model, path, name, kind, meta=None, int8=()):
    """A RecurrentStack with its arch lines and run metadata."""
    m = run_metadata(meta)
    for k, v in model.cfg.items():
        m[f"model.{k}"] = v
    return export(path, name, kind, module_tensors(model), m, model.arch_lines(), int8)
