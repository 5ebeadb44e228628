"""Batch norm forward + backward on (N, D) = (8192, 1024) float32: course_lib against
torch.nn.functional.batch_norm with autograd, on the same CPU in the same run.

Target: course_lib's fast batch norm (course_lib.fast_batchnorm) takes at most 2x
the time of PyTorch. The reference (course_lib.batchnorm), written to be read
beside the paper, is timed too, for scale.

    python bench/bn_speed.py [--rounds 21]
"""

import argparse
import sys

import numpy as np
import torch

from course_lib import batchnorm as ref
from course_lib import fast_batchnorm as fast

from _timing import interleaved, median_ms


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument("-N", type=int, default=8192)
    parser.add_argument("-D", type=int, default=1024)
    args = parser.parse_args(argv)
    N, D = args.N, args.D
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((N, D)) * 3 + 1).astype(np.float32)
    gamma = rng.uniform(0.5, 2, D).astype(np.float32)
    beta = rng.uniform(-1, 1, D).astype(np.float32)
    dout = rng.standard_normal((N, D)).astype(np.float32)

    xt = torch.from_numpy(x.copy()).requires_grad_()
    gt = torch.from_numpy(gamma.copy()).requires_grad_()
    bt = torch.from_numpy(beta.copy()).requires_grad_()
    doutt = torch.from_numpy(dout.copy())

    def ours():
        _, cache = fast.batchnorm_forward(x, gamma, beta)
        fast.batchnorm_backward_alt(dout, cache)

    def reference():
        _, cache = ref.batchnorm_forward(x, gamma, beta)
        ref.batchnorm_backward_alt(dout, cache)

    def reference_staged():
        _, cache = ref.batchnorm_forward(x, gamma, beta)
        ref.batchnorm_backward(dout, cache)

    def torch_autograd():
        xt.grad = gt.grad = bt.grad = None
        out = torch.nn.functional.batch_norm(xt, None, None, gt, bt, training=True, eps=1e-5)
        out.backward(doutt)

    times = interleaved({"torch": torch_autograd, "ours": ours, "reference": reference,
                         "reference_staged": reference_staged}, args.rounds)
    t_torch, t_ours, t_ref, t_staged = (median_ms(times[k])
                                        for k in ("torch", "ours", "reference", "reference_staged"))
    print(f"BN forward+backward, N={N} D={D} float32, median of {args.rounds} interleaved rounds "
          f"(torch {torch.__version__}, {torch.get_num_threads()} threads)")
    print(f"  torch F.batch_norm + autograd : {t_torch:8.2f} ms")
    print(f"  course_lib fast (closed form) : {t_ours:8.2f} ms   ratio {t_ours / t_torch:.2f}x torch (target <= 2x)")
    print(f"  reference (closed form)       : {t_ref:8.2f} ms   ratio {t_ref / t_torch:.2f}x torch (for reading)")
    print(f"  reference (step by step)      : {t_staged:8.2f} ms   ratio {t_staged / t_torch:.2f}x torch (for reading)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
