"""Batch norm forward + backward on (N, D) = (8192, 1024) float32: course_lib against
torch.nn.functional.batch_norm with autograd, on the same CPU in the same run.

Target: course_lib takes at most 2x the time of PyTorch.

    python bench/bn_speed.py [--rounds 21]
"""

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).parent))
from _timing import interleaved, median_ms  # noqa: E402

from course_lib.batchnorm import batchnorm_backward, batchnorm_backward_alt, batchnorm_forward  # noqa: E402


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
        _, cache = batchnorm_forward(x, gamma, beta)
        batchnorm_backward_alt(dout, cache)

    def ours_staged():
        _, cache = batchnorm_forward(x, gamma, beta)
        batchnorm_backward(dout, cache)

    def torch_autograd():
        xt.grad = gt.grad = bt.grad = None
        out = torch.nn.functional.batch_norm(xt, None, None, gt, bt, training=True, eps=1e-5)
        out.backward(doutt)

    times = interleaved({"torch": torch_autograd, "ours": ours, "ours_staged": ours_staged}, args.rounds)
    t_torch, t_ours, t_staged = (median_ms(times[k]) for k in ("torch", "ours", "ours_staged"))
    print(f"BN forward+backward, N={N} D={D} float32, median of {args.rounds} interleaved rounds "
          f"(torch {torch.__version__}, {torch.get_num_threads()} threads)")
    print(f"  torch F.batch_norm + autograd : {t_torch:8.2f} ms")
    print(f"  course_lib (closed form)      : {t_ours:8.2f} ms   ratio {t_ours / t_torch:.2f}x torch (target <= 2x)")
    print(f"  course_lib (staged graph)     : {t_staged:8.2f} ms   ratio {t_staged / t_torch:.2f}x torch (for teaching)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
