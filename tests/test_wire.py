"""autograder/sandbox/wire.py: what crosses between the grader and the child, checked as it is unpacked."""

import numpy as np
import pytest

from autograder.sandbox import wire


@pytest.mark.parametrize("spec, data, words", [
    ({"t": "array", "dtype": "<f8", "shape": [10], "strides": None, "offset": 0, "at": 0}, bytes(32), "do not fit"),
    ({"t": "array", "dtype": "<f8", "shape": [1 << 27], "strides": [0], "offset": 0, "at": 0}, bytes(8), "MB"),
    ({"t": "array", "dtype": "<f8", "shape": [4], "strides": [0], "offset": 0, "at": 0}, bytes(8), "strides"),
    ({"t": "array", "dtype": "<f8", "shape": [2, 2], "strides": [8, 8], "offset": 0, "at": 0}, bytes(24), "strides"),
    ({"t": "array", "dtype": "|V40", "shape": [1], "strides": None, "offset": 0, "at": 0}, bytes(40), "dtype"),
    ({"t": "array", "dtype": "|O", "shape": [1], "strides": None, "offset": 0, "at": 0}, bytes(8), "dtype"),
    ({"t": "array", "dtype": ">f8", "shape": [1], "strides": None, "offset": 0, "at": 0}, bytes(8), "dtype"),
    ({"t": "scalar", "dtype": "|V8", "v": 1}, b"", "dtype"),
], ids=["overrun", "huge", "stride0", "overlapping", "void", "object", "big-endian", "void-scalar"])
def test_wire_refuses_what_a_child_must_not_send(spec, data, words):
    with pytest.raises(wire.WireError, match=words):
        wire.unpack(spec, data)


def test_wire_refuses_deep_or_huge_values():
    deep = {"t": "plain", "v": 1}
    for _ in range(wire.MAX_DEPTH + 5):
        deep = {"t": "list", "v": [deep]}
    with pytest.raises(wire.WireError):
        wire.unpack(deep, b"")
    with pytest.raises(wire.WireError):
        wire.unpack({"t": "list", "v": [{"t": "plain", "v": 0}] * (wire.MAX_ITEMS + 1)}, b"")
    with pytest.raises(wire.WireError):
        wire.unpack({"t": "plain", "v": "x" * (wire.MAX_STRING + 1)}, b"")


def test_wire_keeps_the_layout_of_what_the_grader_sends():
    a = np.arange(24.0).reshape(4, 6)[::-1, ::2]
    spec, data = wire.pack(a, keep_layout=True)
    back = wire.unpack(spec, bytearray(data), writable=True, layouts=True)
    assert back.strides == a.strides and np.array_equal(back, a)


def test_wire_carries_an_lncache_both_ways():
    from autograder.sandbox.client import RECORDS
    from course_lib.bncache import LNCache

    rng = np.random.default_rng(0)
    x_hat = rng.standard_normal((6, 4)).astype(np.float32)
    cache = LNCache(x_hat=x_hat[:, ::-1], inv_std=rng.uniform(0.5, 2.0, (6, 1)), gamma=np.ones(4), eps=1e-3)
    for keep_layout in (True, False):   # the grader's arguments keep their layout; answers come back contiguous
        spec, data = wire.pack(cache, keep_layout=keep_layout)
        back = wire.unpack(spec, bytearray(data) if keep_layout else data, writable=keep_layout, layouts=keep_layout,
                           records=RECORDS)
        assert type(back) is LNCache and back.eps == 1e-3
        for field in ("x_hat", "inv_std", "gamma"):
            assert np.array_equal(getattr(back, field), getattr(cache, field))
            assert getattr(back, field).dtype == getattr(cache, field).dtype
        assert keep_layout == (back.x_hat.strides == cache.x_hat.strides)
