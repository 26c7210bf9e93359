"""The fine-tuned linear probe: a few-shot baseline trained on each episode's support set.

A linear classifier on frozen embeddings, fitted per episode by full-batch Adam on the support
set's cross-entropy (with weight decay) and applied to the queries; the standard "fine-tune a
head" baseline beside ProtoNet in few-shot text classification (used as a reference beside RAML,
arXiv 2309.04979; the paper's own baselines were not retrieved).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from nnatlas.core.validation import check_int, check_positive, check_real, check_tensor
from nnatlas.meta.episodes import check_support_labels

__all__ = ["fit_linear_probe"]


def fit_linear_probe(
    support: Tensor,
    labels: Tensor,
    n_way: int,
    *,
    steps: int = 100,
    lr: float = 0.1,
    weight_decay: float = 1e-3,
) -> nn.Linear:
    """Fit ``nn.Linear(dim, n_way)`` (zero-initialised) on the support set.

    Args:
        support: ``(n_support, dim)`` embeddings.
        labels: ``(n_support,)`` int labels in ``0..n_way-1``.
        n_way: number of classes.
        steps: full-batch Adam steps.
        lr: Adam step size.
        weight_decay: L2 penalty coefficient on the weight (not the bias).

    Returns:
        The fitted linear layer (logits = ``layer(query)``).
    """
    check_tensor("support", support, ndim=2, nonempty=True)
    check_int("n_way", n_way, low=2)
    check_int("steps", steps, low=0)
    check_positive("lr", lr)
    check_real("weight_decay", weight_decay, low=0)
    check_support_labels(labels, support, n_way)
    x = support.detach()
    layer = nn.Linear(x.shape[1], n_way, dtype=x.dtype, device=x.device)
    nn.init.zeros_(layer.weight)
    nn.init.zeros_(layer.bias)
    opt = torch.optim.Adam(layer.parameters(), lr=lr)
    with torch.enable_grad():
        for _ in range(steps):
            opt.zero_grad()
            loss = nn.functional.cross_entropy(layer(x), labels)
            loss = loss + 0.5 * weight_decay * layer.weight.pow(2).sum()
            loss.backward()
            opt.step()
    return layer
