"""What crosses the sandbox boundary: JSON, and arrays as ``.npy`` read without pickle.

Both sides import this module; the child imports it from a private copy, so
it depends on numpy and the standard library only.

An array travels as a 1-D ``.npy`` buffer plus its shape, strides and offset,
so that a view (``x[:, ::2]``, a transpose, Fortran order) reaches the
student's function with the layout the test chose. The child opens input
buffers as memory maps: a function that writes into its input writes into
the file, and the grader sees it without trusting the child's word.
"""

import os

import numpy as np

__all__ = ["encode", "decode", "WireError", "FIELDS"]

# Named records rebuilt on the other side, by field names.
FIELDS = {
    "BNCache": ("x", "x_hat", "mu", "var", "inv_std", "gamma", "eps"),
    "History": ("loss", "metric", "val_loss", "val_metric", "metric_name", "stopped"),
}
MAX_DEPTH = 20


class WireError(ValueError):
    """A value that cannot cross the boundary as plain data."""


def _layout(a):
    """(buffer, offset, strides) in items: a fresh 1-D buffer holding ``a`` with its own strides."""
    item = a.itemsize
    if a.size == 0 or any(s % item for s in a.strides):
        a = np.ascontiguousarray(a)
    steps = [s // item for s in a.strides]
    low = sum(min(0, s * (n - 1)) for s, n in zip(steps, a.shape))
    high = sum(max(0, s * (n - 1)) for s, n in zip(steps, a.shape)) + 1 if a.size else 0
    buf = np.zeros(high - low, dtype=a.dtype)
    offset = -low
    if a.size:
        view = np.lib.stride_tricks.as_strided(buf[offset:], a.shape, a.strides)
        view[...] = a
    return buf, offset, list(a.strides)


def encode(value, folder, prefix):
    """``value`` as JSON-ready data; arrays are written to ``folder/<prefix>_<k>.npy``."""
    counter = [0]

    def enc(v, depth):
        if depth > MAX_DEPTH:
            raise WireError("the value is nested too deeply")
        if v is None or isinstance(v, (bool, str)):
            return {"t": "plain", "v": v}
        if type(v) in (int, float):
            return {"t": "plain", "v": v}
        if isinstance(v, np.generic) and type(v).__module__ == "numpy":
            if v.dtype.kind not in "biuf":
                raise WireError(f"a numpy scalar of dtype {v.dtype}")
            return {"t": "scalar", "dtype": v.dtype.str, "v": v.item()}
        if isinstance(v, np.ndarray):
            if v.dtype.kind not in "biuf" or v.dtype.byteorder == ">":
                raise WireError(f"an array of dtype {v.dtype}")
            name = f"{prefix}_{counter[0]}.npy"
            counter[0] += 1
            buf, offset, strides = _layout(np.asarray(v))
            np.save(os.path.join(folder, name), buf, allow_pickle=False)
            return {"t": "array", "file": name, "shape": list(v.shape), "strides": strides, "offset": offset}
        if isinstance(v, tuple) and getattr(type(v), "_fields", None) == FIELDS["BNCache"]:
            return {"t": "BNCache", "v": [enc(x, depth + 1) for x in tuple.__iter__(v)]}
        if type(v).__name__ == "History" and all(hasattr(v, f) for f in FIELDS["History"]):
            return {"t": "History", "v": [enc(getattr(v, f), depth + 1) for f in FIELDS["History"]]}
        if isinstance(v, tuple):   # subclasses too: only the items cross, never the class
            return {"t": "tuple", "v": [enc(x, depth + 1) for x in tuple.__iter__(v)]}
        if isinstance(v, list):
            return {"t": "list", "v": [enc(x, depth + 1) for x in list.__iter__(v)]}
        if type(v) is dict and all(type(k) is str for k in v):
            return {"t": "dict", "v": {k: enc(x, depth + 1) for k, x in v.items()}}
        raise WireError(f"an object of type {type(v).__name__}")

    return enc(value, 0)


def _load_array(folder, spec, mmap):
    path = os.path.join(folder, spec["file"])
    if os.path.basename(spec["file"]) != spec["file"]:
        raise WireError("an array file outside the exchange folder")
    buf = np.load(path, mmap_mode="r+" if mmap else None, allow_pickle=False)
    if buf.ndim != 1:
        raise WireError("an array buffer that is not 1-D")
    shape, strides, offset = tuple(spec["shape"]), tuple(spec["strides"]), int(spec["offset"])
    n = int(np.prod(shape)) if shape else 1
    if n == 0:
        return np.empty(shape, buf.dtype)
    item = buf.dtype.itemsize
    reach_hi = offset + sum(max(0, s // item * (k - 1)) for s, k in zip(strides, shape))
    reach_lo = offset + sum(min(0, s // item * (k - 1)) for s, k in zip(strides, shape))
    if reach_lo < 0 or reach_hi >= buf.shape[0] or any(s % item for s in strides):
        raise WireError("an array whose layout does not fit its buffer")
    base = np.asarray(buf[offset:]) if not mmap else buf[offset:]
    return np.lib.stride_tricks.as_strided(base, shape, strides, subok=False, writeable=True)


def decode(data, folder, *, mmap=False, records=None):
    """The value ``encode`` wrote. records: name -> class, to rebuild BNCache and History."""
    records = records or {}

    def dec(d, depth):
        if depth > MAX_DEPTH or type(d) is not dict or "t" not in d:
            raise WireError("malformed data")
        t = d["t"]
        if t == "plain":
            if d["v"] is not None and type(d["v"]) not in (bool, str, int, float):
                raise WireError("malformed plain value")
            return d["v"]
        if t == "scalar":
            return np.dtype(d["dtype"]).type(d["v"])
        if t == "array":
            return _load_array(folder, d, mmap)
        if t in ("tuple", "list"):
            items = [dec(x, depth + 1) for x in d["v"]]
            return tuple(items) if t == "tuple" else items
        if t == "dict":
            return {str(k): dec(x, depth + 1) for k, x in d["v"].items()}
        if t in FIELDS:
            items = [dec(x, depth + 1) for x in d["v"]]
            if len(items) != len(FIELDS[t]):
                raise WireError(f"a {t} with {len(items)} fields")
            cls = records.get(t)
            if cls is None:
                return tuple(items)
            return cls(**dict(zip(FIELDS[t], items)))
        raise WireError(f"unknown tag {t!r}")

    return dec(data, 0)
