"""SNNK layers vs a dense ``nn.Linear`` of the same input/output size: parameters and speed.

For each (in, out, m) this prints the trainable-parameter count and the forward and
forward+backward times (best of ``--repeats``, batch ``--batch``) of ``nn.Linear`` + ReLU, a
ReLU-SNNK layer and a URF-SNNK layer (sin, 2 frequencies, so 4·m real features), with ratios
to the dense layer. One thread. No peer library is compared: the official SNNK code is not a
package (and its URF path does not run as published); a dense layer is what SNNK replaces.
"""

from __future__ import annotations

import argparse
import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import torch  # noqa: E402
from torch import nn  # noqa: E402

from nnatlas.core.timing import best_time  # noqa: E402
from nnatlas.nn.models import num_parameters  # noqa: E402
from nnatlas.nn.snnk import URFSNNK, ReLUSNNK  # noqa: E402


def _times(layer: nn.Module, x: torch.Tensor, repeats: int) -> tuple[float, float]:
    def forward() -> None:
        with torch.no_grad():
            layer(x)

    def forward_backward() -> None:
        layer.zero_grad(set_to_none=True)
        layer(x).sum().backward()

    return best_time(forward, repeats), best_time(forward_backward, repeats)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        default="256:256:16,256:256:64,1024:1024:64,1024:1024:256",
        help="comma-separated in:out:m triples",
    )
    parser.add_argument("--batch", type=int, default=512)
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    print(
        "| in | out | m | layer | params | params dense/layer | fwd ms | fwd ratio | fwd+bwd ms | fwd+bwd ratio |"
    )
    print("|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|")
    for item in args.sizes.split(","):
        d_in, d_out, m = (int(v) for v in item.split(":"))
        x = torch.randn(args.batch, d_in) / d_in**0.5  # unit-norm rows keep URF variance moderate
        layers = {
            "Linear+ReLU": nn.Sequential(nn.Linear(d_in, d_out), nn.ReLU()),
            "ReLUSNNK": ReLUSNNK(d_in, d_out, m, projection_std=d_in**-0.5),
            "URFSNNK(sin)": URFSNNK(d_in, d_out, m, activation="sin"),
        }
        base_p = base_f = base_fb = 0.0
        for name, layer in layers.items():
            p = num_parameters(layer)
            f, fb = _times(layer, x, args.repeats)
            if name == "Linear+ReLU":
                base_p, base_f, base_fb = p, f, fb
            print(
                f"| {d_in} | {d_out} | {m} | {name} | {p:,} | {base_p / p:.2f} | "
                f"{1e3 * f:.3f} | {f / base_f:.2f} | {1e3 * fb:.3f} | {fb / base_fb:.2f} |"
            )
    print(
        "\nparams ratio = dense / this layer; time ratios = this layer / dense (> 1 is slower). "
        "Timings are best-of-N on one thread; a loaded machine inflates them."
    )


if __name__ == "__main__":
    main()
