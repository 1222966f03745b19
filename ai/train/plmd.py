"""Write and read PLMD model files (docs/model-format.md) with numpy only.

The twin of ai/model/model_write.c: same layout byte for byte, so a file
from either loads in C with pl_model_load_*."""
import struct
import zlib

import numpy as np

MAGIC = b"PLMD"
VERSION = 1
HEADER = 64
ENTRY = 112
ALIGN = 32
F32, I8 = 0, 1


def _align(v, a):
    return (v + a - 1) // a * a


def _check_name(s, limit):
    b = s.encode("ascii")
    if not 1 <= len(b) <= limit or any(c <= 0x20 or c >= 0x7F for c in b):
        raise ValueError(f"bad name {s!r} (1..{limit} printable ASCII, no spaces)")
    return b


def quantize_int8(a):
    """Symmetric per-output-channel (first dim) int8: scale = max|row| / 127."""
    a = np.asarray(a, dtype=np.float32)
    rows = a.reshape(a.shape[0], -1)
    mx = np.abs(rows).max(axis=1)
    scale = np.where(mx > 0, mx / np.float32(127), np.float32(1)).astype(np.float32)
    q = np.clip(np.rint(rows / scale[:, None]), -127, 127).astype(np.int8)
    return q.reshape(a.shape), scale


class PlmdWriter:
    def __init__(self, name, kind, meta=None):
        self.name = _check_name(name, 255)
        self.kind = _check_name(kind, 255)
        self.meta = []
        self.tensors = []  # (name, dtype, array, scales)
        for k, v in (meta or {}).items():
            self.add_meta(k, v)

    def add_meta(self, key, value):
        key, value = str(key), str(value)
        if not key or any(not (c.isalnum() or c in "_.-") for c in key) or not key.isascii():
            raise ValueError(f"bad metadata key {key!r}")
        if "\n" in value:
            raise ValueError(f"metadata value for {key!r} has a newline")
        self.meta.append(f"{key}={value}\n")

    def _add(self, name, dtype, arr, scales):
        nb = _check_name(name, 63)
        if any(t[0] == nb for t in self.tensors):
            raise ValueError(f"duplicate tensor {name!r}")
        if not 1 <= arr.ndim <= 4 or 0 in arr.shape:
            raise ValueError(f"tensor {name!r}: shape {arr.shape} (1..4 dims, none empty)")
        self.tensors.append((nb, dtype, np.ascontiguousarray(arr), scales))

    def add(self, name, arr):
        """A float32 tensor (anything array-like, torch tensors via .numpy())."""
        self._add(name, F32, np.asarray(arr, dtype="<f4"), None)

    def add_int8(self, name, arr, scales=None):
        """int8 with per-output-channel scales; quantises float input."""
        arr = np.asarray(arr)
        if scales is None:
            arr, scales = quantize_int8(arr)
        scales = np.asarray(scales, dtype="<f4")
        if arr.dtype != np.int8 or scales.shape != (arr.shape[0],):
            raise ValueError(f"tensor {name!r}: int8 data and one scale per row")
        self._add(name, I8, arr, scales)

    def to_bytes(self):
        meta = "".join(self.meta).encode("utf-8")
        if len(meta) > 65536:
            raise ValueError("metadata over 64 KiB")
        strings = b"".join(struct.pack("<I", len(s)) + s for s in (self.name, self.kind, meta))
        table_off = _align(HEADER + len(strings), 8)
        data_off = _align(table_off + ENTRY * len(self.tensors), ALIGN)
        table = bytearray()
        data = bytearray()
        pos = data_off
        for name, dtype, arr, scales in self.tensors:
            raw = arr.astype("<f4" if dtype == F32 else "i1").tobytes()
            dims = list(arr.shape) + [0] * (4 - arr.ndim)
            doff = pos
            data += raw + b"\0" * (_align(len(raw), ALIGN) - len(raw))
            pos = data_off + len(data)
            soff = 0
            if dtype == I8:
                sraw = scales.tobytes()
                soff = pos
                data += sraw + b"\0" * (_align(len(sraw), ALIGN) - len(sraw))
                pos = data_off + len(data)
            table += name.ljust(64, b"\0")
            table += struct.pack("<BBH4II", dtype, arr.ndim, 0, *dims, 0)
            table += struct.pack("<QQQ", doff, len(raw), soff)
        body = (strings + b"\0" * (table_off - HEADER - len(strings)) + bytes(table)
                + b"\0" * (data_off - table_off - len(table)) + bytes(data))
        size = HEADER + len(body)
        crc = zlib.crc32(body) & 0xFFFFFFFF  # the same CRC-32 as base/crc32.c
        header = struct.pack("<4sIIIQIIQQQQ", MAGIC, VERSION, HEADER, 0, size, crc,
                             len(self.tensors), HEADER, table_off, data_off, 0)
        return header + body

    def save(self, path):
        with open(path, "wb") as f:
            f.write(self.to_bytes())


def read(path_or_bytes):
    """Parse a PLMD file: (name, kind, meta dict, {name: array}); int8
    tensors come back dequantised to float32. Checks magic, version, CRC."""
    if isinstance(path_or_bytes, (bytes, bytearray)):
        b = bytes(path_or_bytes)
    else:
        with open(path_or_bytes, "rb") as f:
            b = f.read()
    (magic, version, hsize, _flags, size, crc, n, _soff, table_off, _doff,
     _r) = struct.unpack_from("<4sIIIQIIQQQQ", b, 0)
    if magic != MAGIC or version != VERSION or hsize != HEADER or size != len(b):
        raise ValueError("not a version-1 PLMD file of this length")
    if zlib.crc32(b[HEADER:]) & 0xFFFFFFFF != crc:
        raise ValueError("CRC mismatch")
    off = HEADER
    strs = []
    for _ in range(3):
        (ln,) = struct.unpack_from("<I", b, off)
        strs.append(b[off + 4:off + 4 + ln])
        off += 4 + ln
    meta = {}
    for line in strs[2].decode("utf-8").splitlines():
        k, _, v = line.partition("=")
        meta[k] = v
    tensors = {}
    for i in range(n):
        e = table_off + i * ENTRY
        name = b[e:e + 64].rstrip(b"\0").decode("ascii")
        dtype, ndims, _r2, *dims = struct.unpack_from("<BBH4I", b, e + 64)
        doff, dsize, soff = struct.unpack_from("<QQQ", b, e + 88)
        shape = tuple(dims[:ndims])
        if dtype == F32:
            arr = np.frombuffer(b, "<f4", int(np.prod(shape)), doff).reshape(shape)
        else:
            q = np.frombuffer(b, "i1", int(np.prod(shape)), doff).reshape(shape)
            sc = np.frombuffer(b, "<f4", shape[0], soff)
            arr = (q.reshape(shape[0], -1).astype(np.float32) * sc[:, None]).reshape(shape)
        tensors[name] = arr.copy()
    return strs[0].decode(), strs[1].decode(), meta, tensors
