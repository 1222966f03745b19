"""Shared by the tests/ai scripts: make the repository importable and fail
(not skip) with a clear message when torch is missing, since make check
installs python3-torch."""
import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, REPO)

try:
    import numpy  # noqa: F401
    import torch
except ImportError as e:
    print(f"FAIL: {e}. These tests need PyTorch and numpy for {sys.executable}: "
          "install python3-torch python3-numpy (scripts/install-deps.sh test).")
    sys.exit(1)

torch.set_num_threads(2)
