"""Normalization forward + backward on 8192 x 1024 float32 values: course_lib against
PyTorch's functional layers with autograd, on the same CPU, with the same number of
threads, in the same run.

- batch norm, (N, D) = (8192, 1024): course_lib's fast path (course_lib.fast_batchnorm)
  against torch.nn.functional.batch_norm. Target: at most 1.0x torch's time.
  The reference (course_lib.batchnorm), written to be read beside the paper, for scale.
- layer norm, the same (N, D): the fast path (course_lib.fast_layernorm) and the
  reference (course_lib.layernorm) against torch.nn.functional.layer_norm.
- spatial batch norm, (N, C, H, W) = (32, 64, 64, 64): the reference
  (course_lib.spatial_batchnorm) and the fast path on its (N*H*W, C) view, against
  torch.nn.functional.batch_norm on the 4-D input.

    python bench/bn_speed.py [--rounds 21]
"""

import argparse
import sys

import numpy as np
import torch

from course_lib import batchnorm as ref
from course_lib import fast_batchnorm as fast
from course_lib import fast_layernorm as fast_ln
from course_lib import layernorm as ln
from course_lib import spatial_batchnorm as sbn
from course_lib._parallel import _workers

from _timing import interleaved, median_ms


def _inputs(rng, shape, D):
    x = (rng.standard_normal(shape) * 3 + 1).astype(np.float32)
    gamma = rng.uniform(0.5, 2, D).astype(np.float32)
    beta = rng.uniform(-1, 1, D).astype(np.float32)
    dout = rng.standard_normal(shape).astype(np.float32)
    return x, gamma, beta, dout


def _torch_step(fn, x, gamma, beta, dout):
    """fn(x, gamma, beta) forward and its backward by autograd, on copies of the inputs."""
    xt, gt, bt = (torch.from_numpy(a.copy()).requires_grad_() for a in (x, gamma, beta))
    doutt = torch.from_numpy(dout.copy())

    def step():
        xt.grad = gt.grad = bt.grad = None
        fn(xt, gt, bt).backward(doutt)

    return step


def _ours(forward, backward, x, gamma, beta, dout):
    def step():
        _, cache = forward(x, gamma, beta)
        backward(dout, cache)

    return step


def _fast_spatial_forward(x, gamma, beta):
    out_rows, cache = fast.batchnorm_forward(sbn.to_rows(x), gamma, beta)
    return np.ascontiguousarray(sbn.from_rows(out_rows, x.shape)), cache


def _fast_spatial_backward(dout, cache):
    dx_rows, dgamma, dbeta = fast.batchnorm_backward_alt(sbn.to_rows(dout), cache)
    return np.ascontiguousarray(sbn.from_rows(dx_rows, dout.shape)), dgamma, dbeta


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument("-N", type=int, default=8192)
    parser.add_argument("-D", type=int, default=1024)
    args = parser.parse_args(argv)
    N, D = args.N, args.D
    rng = np.random.default_rng(0)
    bn = _inputs(rng, (N, D), D)
    spatial_shape = (32, 64, 64, 64)
    sp = _inputs(rng, spatial_shape, spatial_shape[1])

    def torch_bn(x, g, b):
        return torch.nn.functional.batch_norm(x, None, None, g, b, training=True, eps=1e-5)

    def torch_ln(x, g, b):
        return torch.nn.functional.layer_norm(x, (D,), g, b, eps=1e-5)

    fns = {
        "bn torch": _torch_step(torch_bn, *bn),
        "bn fast": _ours(fast.batchnorm_forward, fast.batchnorm_backward_alt, *bn),
        "bn reference": _ours(ref.batchnorm_forward, ref.batchnorm_backward_alt, *bn),
        "bn reference staged": _ours(ref.batchnorm_forward, ref.batchnorm_backward, *bn),
        "ln torch": _torch_step(torch_ln, *bn),
        "ln fast": _ours(fast_ln.layernorm_forward, fast_ln.layernorm_backward, *bn),
        "ln reference": _ours(ln.layernorm_forward, ln.layernorm_backward, *bn),
        "sbn torch": _torch_step(torch_bn, *sp),
        "sbn fast": _ours(_fast_spatial_forward, _fast_spatial_backward, *sp),
        "sbn reference": _ours(sbn.spatial_batchnorm_forward, sbn.spatial_batchnorm_backward, *sp),
    }
    times = interleaved(fns, args.rounds)
    ms = {name: median_ms(t) for name, t in times.items()}

    def row(label, name, peer, target=None):
        ratio = ms[name] / ms[peer]
        note = f"(target <= {target}x)" if target else "(for reading)" if "reference" in name else ""
        print(f"  {label:38s}: {ms[name]:8.2f} ms   ratio {ratio:.2f}x torch {note}")

    print(f"Forward+backward, float32, median of {args.rounds} interleaved rounds "
          f"(torch {torch.__version__}, {torch.get_num_threads()} threads; course_lib {_workers()} threads)")
    print(f" batch norm, N={N} D={D}")
    print(f"  {'torch F.batch_norm + autograd':38s}: {ms['bn torch']:8.2f} ms")
    row("course_lib fast (closed form)", "bn fast", "bn torch", target=1.0)
    row("reference (closed form)", "bn reference", "bn torch")
    row("reference (step by step)", "bn reference staged", "bn torch")
    print(f" layer norm, N={N} D={D}")
    print(f"  {'torch F.layer_norm + autograd':38s}: {ms['ln torch']:8.2f} ms")
    row("course_lib fast", "ln fast", "ln torch")
    row("reference", "ln reference", "ln torch")
    print(" spatial batch norm, (N, C, H, W) = {}".format(spatial_shape))
    print(f"  {'torch F.batch_norm (4-D) + autograd':38s}: {ms['sbn torch']:8.2f} ms")
    row("fast batch norm on the (N*H*W, C) view", "sbn fast", "sbn torch")
    row("reference", "sbn reference", "sbn torch")
    return 0


if __name__ == "__main__":
    sys.exit(main())
