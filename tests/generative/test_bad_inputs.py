"""Bad inputs to every public entry point of ``nnatlas.generative`` fail clearly, naming the argument.

Table-driven rows call one entry point with one bad argument and the argument the error must
name; hypothesis feeds wrong-dtype, non-finite and wrong-rank tensors to the tensor-taking
entry points. ``tests/test_bad_input_coverage.py`` checks that ``COVERED`` and ``EXEMPT``
together are ``nnatlas.generative.__all__``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from nnatlas.generative import (
    AffineCoupling2d,
    FastFlow,
    FeatureTaps,
    OUProcess,
    PaDiM,
    ParametricScore,
    PatchCore,
    ResNetStages,
    au_pro,
    auroc,
    check_feature_map,
    check_features,
    check_image_size,
    concat_features,
    connected_regions,
    greedy_coreset,
    image_auroc,
    pixel_auroc,
    pretrain_rotation,
    score_features,
    tokens_to_map,
)
from nnatlas.testing.bad_inputs import (
    assert_clear_error,
    bad_dtype_tensors,
    nonfinite_tensors,
    wrong_rank_tensors,
)

SHAPES = [(4, 4, 4), (6, 2, 2)]


def _good(n: int = 3) -> list[torch.Tensor]:
    return [torch.randn(n, *s) for s in SHAPES]


_FLOW = FastFlow(SHAPES, num_steps=2)
_STEP = AffineCoupling2d(4)
_PADIM = PaDiM().fit(_good(5))
_PATCHCORE = PatchCore(coreset_ratio=0.5).fit(_good(3))
_TAPS = FeatureTaps(ResNetStages((4, 4), (1, 1)), ["layer1", "layer2"])
_MAPS, _MASKS = torch.rand(2, 4, 4), torch.zeros(2, 4, 4)
_MASKS[1, 1, 1] = 1

ROWS: list[tuple[str, Callable[..., Any], tuple[Any, ...], dict[str, Any], str]] = [
    ("AffineCoupling2d", AffineCoupling2d, (1,), {}, "channels"),
    ("AffineCoupling2d", AffineCoupling2d, (4, 2), {}, "kernel_size"),
    ("AffineCoupling2d", AffineCoupling2d, (4,), {"hidden_ratio": -1.0}, "hidden_ratio"),
    ("AffineCoupling2d", AffineCoupling2d, (4,), {"clamp": float("nan")}, "clamp"),
    ("AffineCoupling2d", AffineCoupling2d, (4,), {"hidden_ratio": 0.01}, "hidden_ratio"),
    ("AffineCoupling2d", _STEP, (torch.randn(2, 3, 4, 4),), {}, "x"),
    ("AffineCoupling2d", _STEP.inverse, (torch.randn(2, 4, 4),), {}, "y"),
    ("FastFlow", FastFlow, ([(4, 4)],), {}, "shapes"),
    ("FastFlow", FastFlow, ("abc",), {}, "shapes"),
    ("FastFlow", FastFlow, (SHAPES,), {"num_steps": 0}, "num_steps"),
    ("FastFlow", FastFlow, (SHAPES,), {"hidden_ratio": 0}, "hidden_ratio"),
    ("FastFlow", _FLOW, (*_good()[:1],), {}, "features"),
    ("FastFlow", _FLOW.loss, ([torch.randn(3, 4, 8, 8), torch.randn(3, 6, 4, 4)],), {}, "features"),
    ("FastFlow", _FLOW.anomaly_map, (_good(), 0), {}, "size"),
    ("FastFlow", _FLOW.anomaly_map, ([],), {"size": 8}, "features"),
    ("FeatureTaps", FeatureTaps, ("resnet", ["layer1"]), {}, "backbone"),
    ("FeatureTaps", FeatureTaps, (ResNetStages((4,), (1,)), ["layer7"]), {}, "layers"),
    ("FeatureTaps", FeatureTaps, (ResNetStages((4,), (1,)), []), {}, "layers"),
    ("FeatureTaps", _TAPS, (torch.zeros(2, 3, 16, 16, dtype=torch.int64),), {}, "x"),
    ("FeatureTaps", _TAPS, (torch.zeros(0, 3, 16, 16),), {}, "x"),
    ("ResNetStages", ResNetStages, ((4, 0), (1, 1)), {}, "widths"),
    ("ResNetStages", ResNetStages, ((4, 4), (1,)), {}, "blocks"),
    ("ResNetStages", ResNetStages, ((4,), (1,)), {"num_classes": 0}, "num_classes"),
    ("PaDiM", PaDiM, (), {"shrinkage": 1.5}, "shrinkage"),
    ("PaDiM", PaDiM, (), {"eps": 0.0}, "eps"),
    ("PaDiM", PaDiM().fit, (_good(1),), {}, "features"),
    ("PaDiM", PaDiM().anomaly_map, (_good(), 4), {}, "fit"),
    ("PaDiM", _PADIM.anomaly_map, (_good(), (4, -1)), {}, "size"),
    ("PatchCore", PatchCore, (), {"coreset_ratio": 0.0}, "coreset_ratio"),
    ("PatchCore", PatchCore, (), {"projection_dim": 0}, "projection_dim"),
    ("PatchCore", PatchCore().anomaly_map, (_good(), 4), {}, "fit"),
    (
        "PatchCore",
        _PATCHCORE.anomaly_map,
        ([torch.randn(2, 4, 8, 8), torch.randn(2, 6, 4, 4)], 8),
        {},
        "features",
    ),
    ("PatchCore", PatchCore, (), {"neighbourhood": 0}, "neighbourhood"),
    ("concat_features", concat_features, (_good(),), {"pool": 2}, "pool"),
    ("concat_features", concat_features, ("features",), {}, "features"),
    ("greedy_coreset", greedy_coreset, (torch.randn(5, 2), 6), {}, "k"),
    ("greedy_coreset", greedy_coreset, (torch.randn(5, 2), 2), {"start": 5}, "start"),
    ("greedy_coreset", greedy_coreset, (torch.ones(5, dtype=torch.int64), 2), {}, "x"),
    ("check_image_size", check_image_size, ((3, 4, 5),), {}, "size"),
    ("check_features", check_features, ([torch.randn(2, 4, 4, 4)], [(4, 2, 2)]), {}, "features"),
    ("check_feature_map", check_feature_map, ("z", torch.randn(4, 4)), {}, "z"),
    ("auroc", auroc, (torch.rand(4), torch.tensor([0, 1, 2, 1])), {}, "labels"),
    ("auroc", auroc, (torch.rand(4), torch.tensor([0, 1])), {}, "labels"),
    ("auroc", auroc, (torch.ones(4), torch.zeros(4)), {}, "labels"),  # one class
    ("image_auroc", image_auroc, (_MAPS, torch.ones(2)), {}, "labels"),
    ("image_auroc", image_auroc, (torch.rand(2, 4), torch.tensor([0, 1])), {}, "maps"),
    ("pixel_auroc", pixel_auroc, (_MAPS, _MASKS[:1]), {}, "masks"),
    ("au_pro", au_pro, (_MAPS, _MASKS), {"max_fpr": 0.0}, "max_fpr"),
    ("au_pro", au_pro, (_MAPS, torch.zeros(2, 4, 4)), {}, "masks"),
    ("connected_regions", connected_regions, (torch.zeros(4, 4),), {}, "masks"),
    (
        "tokens_to_map",
        tokens_to_map,
        (torch.zeros(2, 10, 4),),
        {"drop": 2, "grid": (3, 3)},
        "tokens",
    ),
    ("tokens_to_map", tokens_to_map, (torch.zeros(2, 10),), {}, "tokens"),
    ("tokens_to_map", tokens_to_map, (torch.zeros(2, 10, 4),), {"drop": -1}, "drop"),
    (
        "FeatureTaps",
        FeatureTaps,
        (ResNetStages((4,), (1,)), ["layer1"]),
        {"drop_tokens": -2},
        "drop_tokens",
    ),
    (
        "pretrain_rotation",
        pretrain_rotation,
        ("net", torch.zeros(2, 3, 8, 8)),
        {"epochs": 1},
        "backbone",
    ),
    (
        "pretrain_rotation",
        pretrain_rotation,
        (nn.Linear(2, 4), torch.zeros(2, 3, 8, 4)),
        {"epochs": 1},
        "images",
    ),
    (
        "pretrain_rotation",
        pretrain_rotation,
        (nn.Linear(2, 4), torch.zeros(2, 3, 8, 8)),
        {"epochs": -1},
        "epochs",
    ),
    (
        "pretrain_rotation",
        pretrain_rotation,
        (nn.Linear(2, 4), torch.zeros(2, 3, 8, 8)),
        {"epochs": 1, "lr": 0},
        "lr",
    ),
    (
        "pretrain_rotation",
        pretrain_rotation,
        (ResNetStages((4,), (1,)), torch.zeros(2, 3, 16, 16)),
        {"epochs": 1},
        "backbone",
    ),
    # score estimation (nnatlas.generative.score); its other entry points: tests/generative/test_score.py
    (
        "score_features",
        score_features,
        (torch.full((2,), 0.5), torch.zeros(2, 1)),
        {"x_scale": 0.0},
        "x_scale",
    ),
    ("ParametricScore", ParametricScore, ("net", OUProcess(1.0)), {}, "net"),
    ("ParametricScore", ParametricScore, (nn.Linear(2, 1), "ou"), {}, "process"),
]


@pytest.mark.parametrize("row", ROWS, ids=[f"{r[0]}-{r[4]}-{i}" for i, r in enumerate(ROWS)])
def test_table(row):
    _, fn, args, kwargs, argument = row
    assert_clear_error(fn, *args, argument=argument, **kwargs)


_TENSOR_ENTRY_POINTS: list[tuple[Callable[[torch.Tensor], Any], str, tuple[int, ...]]] = [
    (lambda x: _STEP(x), "x", (2, 4, 2, 2)),
    (lambda x: _STEP.inverse(x), "y", (2, 4, 2, 2)),
    (lambda x: _FLOW(x, _good()[1]), "features[0]", (3, 4, 4, 4)),
    (lambda x: _PADIM.anomaly_map([x, _good()[1]], 4), "features[0]", (3, 4, 4, 4)),
    (lambda x: auroc(x, torch.tensor([[0, 1], [1, 0]])), "scores", (2, 2)),
    (lambda x: pixel_auroc(x, torch.zeros(2, 2, 2)), "maps", (2, 2, 2)),
]


@pytest.mark.parametrize("i", range(len(_TENSOR_ENTRY_POINTS)))
@settings(max_examples=12, deadline=None)
@given(data=st.data())
def test_bad_dtypes_and_nonfinite(i, data):
    fn, name, shape = _TENSOR_ENTRY_POINTS[i]
    assert_clear_error(fn, data.draw(bad_dtype_tensors(shape)), argument=name)
    assert_clear_error(fn, data.draw(nonfinite_tensors(shape)), argument=name)


@settings(max_examples=12, deadline=None)
@given(bad=wrong_rank_tensors(4))
def test_wrong_rank_feature_maps(bad):
    assert_clear_error(_STEP, bad, argument="x")
    assert_clear_error(check_features, [bad], argument="features[0]")


COVERED = {
    "AffineCoupling2d",
    "FastFlow",
    "FeatureTaps",
    "PaDiM",
    "PatchCore",
    "ResNetStages",
    "au_pro",
    "auroc",
    "check_feature_map",
    "check_features",
    "check_image_size",
    "concat_features",
    "connected_regions",
    "greedy_coreset",
    "image_auroc",
    "pixel_auroc",
    "pretrain_rotation",
    "tokens_to_map",
}
# score estimation: fed bad arguments in tests/generative/test_score.py
# (test_bad_inputs_name_the_argument) and in the rows above
COVERED |= {
    "GaussianMixture",
    "KernelDenoiser",
    "OUProcess",
    "ParametricScore",
    "denoising_pairs",
    "early_stopping_step",
    "parametric_score",
    "probability_flow_ode",
    "reverse_sde",
    "score_features",
    "train_denoiser",
    "wasserstein2_1d",
}
# instance noise and transport: fed bad arguments in tests/generative/test_instance_noise.py and
# tests/generative/test_transport.py (test_bad_inputs_name_the_argument)
COVERED |= {
    "InstanceNoiseModel",
    "fit_generative",
    "gaussian_wasserstein2",
    "perturb",
    "sigma_rule",
    "sliced_wasserstein",
    "wasserstein_distance",
}
EXEMPT: dict[str, str] = {
    "InstanceNoiseFit": "a dataclass of fit_generative's measurements (a result)",
    "DenoiserTraining": "a dataclass of train_denoiser's measurements (a result)",
    "DenoisingData": "a NamedTuple of tensors (t, x, target): a plain data container",
}


def test_module_of_the_wrong_kind_is_a_type_error():
    assert_clear_error(FeatureTaps, nn.Linear(2, 2), "layer1", argument="layers")
