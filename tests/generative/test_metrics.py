"""Image AUROC, pooled pixel AUROC and AU-PRO against scikit-learn and closed forms."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nnatlas.core.errors import ConfigError
from nnatlas.generative import au_pro, auroc, connected_regions, image_auroc, pixel_auroc

sklearn_metrics = pytest.importorskip("sklearn.metrics")


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_auroc_equals_sklearn_with_ties(seed):
    g = _gen(seed)
    scores = torch.randint(0, 6, (300,), generator=g).double()  # many ties
    labels = (torch.rand(300, generator=g) < 0.3).long()
    ours = auroc(scores, labels)
    ref = sklearn_metrics.roc_auc_score(labels.numpy(), scores.numpy())
    assert ours == pytest.approx(ref, abs=1e-12)


def test_image_auroc_scores_by_map_maximum():
    g = _gen(3)
    maps = torch.rand(40, 6, 6, generator=g)
    labels = torch.arange(40) % 2
    maps[labels == 1, 2, 3] += torch.rand(20, generator=g)
    ref = sklearn_metrics.roc_auc_score(labels.numpy(), maps.flatten(1).amax(1).numpy())
    assert image_auroc(maps, labels) == pytest.approx(ref, abs=1e-12)


def test_pixel_auroc_pools_every_pixel():
    g = _gen(4)
    masks = (torch.rand(10, 8, 8, generator=g) < 0.1).float()
    maps = torch.rand(10, 8, 8, generator=g) + 0.5 * masks
    ref = sklearn_metrics.roc_auc_score(masks.flatten().numpy(), maps.flatten().numpy())
    assert pixel_auroc(maps, masks) == pytest.approx(ref, abs=1e-12)


def test_connected_regions_eight_connectivity():
    m = torch.zeros(2, 6, 6)
    m[0, 0, 0] = m[0, 1, 1] = 1  # diagonal neighbours: one region
    m[0, 4:6, 4:6] = 1
    m[1, 0, 5] = 1
    ids = connected_regions(m)
    assert ((ids > 0) == m.bool()).all()
    assert ids[0, 0, 0] == ids[0, 1, 1]
    assert len(set(ids[ids > 0].tolist())) == 3


def test_au_pro_single_region_equals_partial_roc_area():
    """With one defect region the PRO is the TPR, so AU-PRO is the area under sklearn's ROC
    curve up to the FPR limit (linearly interpolated there), divided by the limit."""
    g = _gen(5)
    masks = torch.zeros(4, 16, 16)
    masks[1, 3:9, 4:10] = 1
    maps = torch.rand(4, 16, 16, generator=g) + 0.6 * masks
    fpr, tpr, _ = sklearn_metrics.roc_curve(masks.flatten().numpy(), maps.flatten().numpy())
    for limit in (0.3, 0.05, 1.0):
        k = int((fpr <= limit).sum())
        x, y = list(fpr[:k]), list(tpr[:k])
        if x[-1] < limit:  # the segment crossing the limit, cut there
            x.append(limit)
            y.append(
                tpr[k - 1] + (tpr[k] - tpr[k - 1]) * (limit - fpr[k - 1]) / (fpr[k] - fpr[k - 1])
            )
        ref = np.trapezoid(y, x) / limit
        assert au_pro(maps, masks, max_fpr=limit) == pytest.approx(ref, abs=1e-12)


def test_au_pro_weights_regions_equally():
    # a large region fully detected, a small one missed: PRO = 1/2 at every FPR < 1
    masks = torch.zeros(1, 10, 10)
    masks[0, 0:5, 0:5] = 1  # 25 pixels, detected
    masks[0, 8, 8] = 1  # 1 pixel, scored like background
    maps = torch.zeros(1, 10, 10)
    maps[0, 0:5, 0:5] = 1.0
    # background and the small region tie at 0: the last curve point is (1, 1)
    value = au_pro(maps, masks, max_fpr=0.3)
    assert value == pytest.approx(0.5 + 0.5 * 0.3 / 2, abs=1e-12)  # PRO rises linearly from 0.5
    assert au_pro(masks.clone(), masks) == pytest.approx(1.0)


def test_one_class_test_set_is_a_clear_error():
    with pytest.raises(ConfigError, match="one class"):
        image_auroc(torch.rand(4, 3, 3), torch.zeros(4))
    with pytest.raises(ConfigError, match="one class"):
        pixel_auroc(torch.rand(2, 3, 3), torch.zeros(2, 3, 3))
    with pytest.raises(ConfigError, match="one class"):
        au_pro(torch.rand(2, 3, 3), torch.ones(2, 3, 3))
