"""What crosses the sandbox boundary: one JSON message, and one in-memory file of array bytes beside it.

Both sides import this module; the child imports it from a read-only copy,
so it depends on numpy and the standard library only.

``pack(value)`` gives (spec, data): ``spec`` is JSON-ready, ``data`` the
bytes of every array in it. An array the grader sends keeps its layout
(shape, strides, offset into ``data``), so a view such as ``x[:, ::2]``, a
transpose or Fortran order reaches the student's function as the test
chose it. ``unpack(spec, buffer)`` rebuilds the value over ``buffer``; the
child unpacks its inputs over a shared memory map of the grader's own file,
so a function that writes into its input writes into the grader's file,
which the grader reads back through its own descriptor, never a path.

What the child sends back is checked before anything is computed on it:
only plain dtypes, C-contiguous arrays (no stride-0 or overlapping view),
at most ``MAX_VALUE_BYTES`` in all and ``MAX_DEPTH`` levels of nesting.
Nothing is ever unpickled.
"""

import numpy as np

__all__ = ["pack", "unpack", "WireError", "FIELDS", "MAX_DEPTH", "MAX_VALUE_BYTES", "MAX_ITEMS"]

# Named records rebuilt on the other side, by field names.
FIELDS = {
    "BNCache": ("x", "x_hat", "mu", "var", "inv_std", "gamma", "eps"),
    "LNCache": ("x_hat", "inv_std", "gamma", "eps"),
    "History": ("loss", "metric", "val_loss", "val_metric", "metric_name", "stopped"),
}
MAX_DEPTH = 20
MAX_VALUE_BYTES = 64 << 20      # array bytes in one message
MAX_ITEMS = 100_000             # plain values (numbers, strings, list items) in one message
MAX_STRING = 1 << 16            # characters of one string
DTYPES = {f"{order}{kind}{size}" for kind, sizes in (("f", (2, 4, 8)), ("i", (1, 2, 4, 8)), ("u", (1, 2, 4, 8)))
          for size in sizes for order in "<|"} | {"|b1"}
ALIGN = 64


class WireError(ValueError):
    """A value that cannot cross the boundary as plain data."""


def _dtype(text):
    if not isinstance(text, str) or text not in DTYPES:
        raise WireError(f"an array of dtype {text!r}")
    dtype = np.dtype(text)
    if dtype.byteorder == ">":
        raise WireError(f"an array of dtype {text!r}")
    return dtype


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


def pack(value, *, keep_layout=False):
    """``value`` as (spec, data). keep_layout: send views with their strides (the grader's inputs);
    otherwise every array is sent C-contiguous (the child's answers)."""
    chunks, size, count = [], [0], [0]

    def add(buf):
        start = -(-size[0] // ALIGN) * ALIGN
        if start > size[0]:
            chunks.append(bytes(start - size[0]))
        raw = buf.tobytes()
        chunks.append(raw)
        size[0] = start + len(raw)
        if size[0] > MAX_VALUE_BYTES:
            raise WireError(f"arrays of more than {MAX_VALUE_BYTES >> 20} MB")
        return start

    def enc(v, depth):
        count[0] += 1
        if depth > MAX_DEPTH:
            raise WireError("a value nested too deeply")
        if count[0] > MAX_ITEMS:
            raise WireError(f"a value with more than {MAX_ITEMS} items")
        if v is None or isinstance(v, bool):
            return {"t": "plain", "v": v}
        if type(v) is str:
            if len(v) > MAX_STRING:
                raise WireError(f"a string of {len(v)} characters")
            return {"t": "plain", "v": v}
        if type(v) in (int, float):
            if type(v) is int and abs(v) >= 1 << 63:
                raise WireError("an integer too large for the grader")
            return {"t": "plain", "v": v}
        if isinstance(v, np.generic) and type(v).__module__ == "numpy":
            if v.dtype.str not in DTYPES:
                raise WireError(f"a numpy scalar of dtype {v.dtype}")
            return {"t": "scalar", "dtype": v.dtype.str, "v": v.item()}
        if isinstance(v, np.ndarray):
            if v.dtype.str not in DTYPES:
                raise WireError(f"an array of dtype {v.dtype}")
            if v.nbytes > MAX_VALUE_BYTES:   # checked before a stride-0 view is ever materialized
                raise WireError(f"an array of {v.nbytes >> 20} MB (the limit is {MAX_VALUE_BYTES >> 20} MB)")
            if keep_layout:
                buf, offset, strides = _layout(np.asarray(v))
            else:
                buf, offset, strides = np.ascontiguousarray(v).reshape(-1), 0, None
            return {"t": "array", "dtype": v.dtype.str, "shape": [int(n) for n in v.shape], "strides": strides,
                    "offset": offset, "at": add(buf)}
        for cache in ("BNCache", "LNCache"):
            if isinstance(v, tuple) and getattr(type(v), "_fields", None) == FIELDS[cache]:
                return {"t": cache, "v": [enc(x, depth + 1) for x in tuple.__iter__(v)]}
        if type(v).__name__ == "History" and all(hasattr(v, f) for f in FIELDS["History"]):
            return {"t": "History", "v": [enc(getattr(v, f), depth + 1) for f in FIELDS["History"]]}
        if isinstance(v, tuple):   # subclasses too: only the items cross, never the class
            return {"t": "tuple", "v": [enc(x, depth + 1) for x in tuple.__iter__(v)]}
        if isinstance(v, list):
            return {"t": "list", "v": [enc(x, depth + 1) for x in list.__iter__(v)]}
        if type(v) is dict and all(type(k) is str for k in v):
            return {"t": "dict", "v": {k: enc(x, depth + 1) for k, x in v.items()}}
        raise WireError(f"an object of type {type(v).__name__}")

    try:
        spec = enc(value, 0)
    finally:
        del enc   # enc refers to itself: without this, the cycle keeps ``chunks`` until the garbage collector runs
    return spec, b"".join(chunks)


def _array(d, buffer, writable, layouts):
    dtype = _dtype(d.get("dtype"))
    shape = d.get("shape")
    if type(shape) is not list or len(shape) > 32 or any(type(n) is not int or n < 0 for n in shape):
        raise WireError("an array with a malformed shape")
    items = 1
    for n in shape:
        items *= n
    if items * dtype.itemsize > MAX_VALUE_BYTES:
        raise WireError(f"an array of more than {MAX_VALUE_BYTES >> 20} MB")
    at, offset, strides = d.get("at"), d.get("offset", 0), d.get("strides")
    if type(at) is not int or type(offset) is not int or at < 0 or offset < 0:
        raise WireError("an array with a malformed offset")
    base = memoryview(buffer)[at:]
    if strides is None:   # C-contiguous, as the child must send
        if offset or items * dtype.itemsize > len(base):
            raise WireError("an array whose bytes do not fit the message")
        flat = np.frombuffer(base, dtype=dtype, count=items) if items else np.empty(0, dtype)
        out = flat.reshape(shape)
        return out if writable else out.copy()
    if not layouts:
        raise WireError("an array view with strides of its own (only contiguous arrays are read back)")
    # a layout the grader chose: the child's inputs, and the grader's own read-back of them
    if type(strides) is not list or len(strides) != len(shape) or any(type(s) is not int for s in strides):
        raise WireError("an array with malformed strides")
    if items == 0:
        return np.empty(shape, dtype)
    item = dtype.itemsize
    if any(s % item for s in strides):
        raise WireError("an array whose layout does not fit its buffer")
    hi = offset + sum(max(0, s // item * (k - 1)) for s, k in zip(strides, shape))
    lo = offset + sum(min(0, s // item * (k - 1)) for s, k in zip(strides, shape))
    if lo < 0 or (hi + 1) * item > len(base):
        raise WireError("an array whose layout does not fit its buffer")
    flat = np.frombuffer(base, dtype=dtype, count=len(base) // item)
    view = np.lib.stride_tricks.as_strided(flat[offset:], shape, strides, subok=False, writeable=writable)
    return view if writable else view.copy()


def unpack(spec, buffer, *, writable=False, layouts=False, records=None):
    """The value ``pack`` described, over ``buffer`` (bytes, or a writable memory map).

    writable: arrays are views into ``buffer`` (the child's inputs); otherwise
    they are fresh copies. layouts: accept arrays with strides of their own
    (only for what the grader packed itself); otherwise only C-contiguous
    arrays are read. records: name -> class, to rebuild BNCache, LNCache and History.
    """
    records = records or {}
    count = [0]

    def dec(d, depth):
        count[0] += 1
        if depth > MAX_DEPTH or count[0] > MAX_ITEMS or type(d) is not dict or "t" not in d:
            raise WireError("malformed data")
        t = d["t"]
        if t == "plain":
            v = d.get("v")
            if v is not None and type(v) not in (bool, str, int, float):
                raise WireError("malformed plain value")
            if type(v) is str and len(v) > MAX_STRING:
                raise WireError(f"a string of {len(v)} characters")
            return v
        if t == "scalar":
            v = d.get("v")
            if type(v) not in (bool, int, float):
                raise WireError("malformed scalar")
            try:
                return _dtype(d.get("dtype")).type(v)
            except (OverflowError, ValueError):
                raise WireError("a scalar out of range for its dtype") from None
        if t == "array":
            return _array(d, buffer, writable, layouts)
        if t in ("tuple", "list"):
            if type(d.get("v")) is not list:
                raise WireError("malformed sequence")
            items = [dec(x, depth + 1) for x in d["v"]]
            return tuple(items) if t == "tuple" else items
        if t == "dict":
            if type(d.get("v")) is not dict:
                raise WireError("malformed dict")
            return {str(k): dec(x, depth + 1) for k, x in d["v"].items()}
        if t in FIELDS:
            if type(d.get("v")) is not list:
                raise WireError("malformed record")
            items = [dec(x, depth + 1) for x in d["v"]]
            if len(items) != len(FIELDS[t]):
                raise WireError(f"a {t} with {len(items)} fields")
            cls = records.get(t)
            if cls is None:
                return tuple(items)
            return cls(**dict(zip(FIELDS[t], items)))
        raise WireError(f"unknown tag {t!r}")

    try:
        return dec(spec, 0)
    finally:
        del dec   # dec refers to itself: without this, the cycle keeps ``buffer`` (in the child, a memory map and
        #           its descriptor) alive until the garbage collector runs, and a child making many calls runs out
