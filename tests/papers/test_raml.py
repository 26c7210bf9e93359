"""The RAML verdict rules on made-up per-seed metrics, and each claim's smoke preset."""

from __future__ import annotations

import math

import pytest

from nnatlas.core.claims import Outcome
from nnatlas.core.errors import ConfigError
from nnatlas.papers.raml import PAPER, RamlConfig, ShotsConfig

ONE = PAPER.claim("one-shot-beats-protonet")
SHOTS = PAPER.claim("gain-shrinks-at-five-shot")
RANDOM = PAPER.claim("random-passages-remove-gain")
GAIN = ONE.config("quick").min_gain
JITTER = (0.0, 0.01, -0.01)


def one_seeds(gain, proto=0.55, jitter=JITTER):
    return [{"raml_acc": proto + gain + j, "protonet_acc": proto, "probe_acc": 0.5} for j in jitter]


def test_one_shot_reproduced_above_min_gain():
    v = ONE.judge(one_seeds(GAIN + 0.01), ONE.config("quick"))
    assert v.outcome is Outcome.REPRODUCED and "RAML over ProtoNet" in v.reason


def test_one_shot_gain_below_min_gain_not_reproduced():
    assert ONE.judge(one_seeds(GAIN - 0.005), ONE.config("quick")).outcome is Outcome.NOT_REPRODUCED
    assert ONE.judge(one_seeds(-0.1), ONE.config("quick")).outcome is Outcome.NOT_REPRODUCED


def test_one_shot_gain_within_noise_is_inconclusive():
    # mean gain GAIN + 0.01, paired differences spread 0.2: se ~0.12 > gain
    v = ONE.judge(one_seeds(GAIN + 0.01, jitter=(0.0, 0.2, -0.2)), ONE.config("quick"))
    assert v.outcome is Outcome.INCONCLUSIVE


def test_one_shot_guards():
    cfg = ONE.config("quick")
    assert ONE.judge(one_seeds(0.1)[:1], cfg).outcome is Outcome.INCONCLUSIVE  # one seed
    assert ONE.judge(one_seeds(0.1, proto=0.2), cfg).outcome is Outcome.INCONCLUSIVE  # at chance
    seeds = one_seeds(0.1)
    seeds[1]["raml_acc"] = math.nan
    assert ONE.judge(seeds, cfg).outcome is Outcome.INCONCLUSIVE


def shot_seeds(g1, g5, jitter=JITTER):
    return [
        {"raml_acc": [0.55 + g1 + j, 0.7 + g5 + j], "protonet_acc": [0.55, 0.7],
         "gain": [g1 + j, g5 + j * 0.5]}
        for j in jitter
    ]  # fmt: skip


def test_shots_shrinking_gain_reproduced_and_growing_gain_not():
    cfg = SHOTS.config("quick")
    assert SHOTS.judge(shot_seeds(0.08, 0.02), cfg).outcome is Outcome.REPRODUCED
    assert SHOTS.judge(shot_seeds(0.08, 0.12), cfg).outcome is Outcome.NOT_REPRODUCED


def test_shots_without_one_shot_gain_is_inconclusive():
    v = SHOTS.judge(shot_seeds(-0.05, -0.1), SHOTS.config("quick"))
    assert v.outcome is Outcome.INCONCLUSIVE and "no 1-shot gain" in v.reason


def random_seeds(raml, rand, proto=0.55, jitter=JITTER):
    return [
        {"raml_acc": raml + j, "random_acc": rand + 0.5 * j, "protonet_acc": proto} for j in jitter
    ]


def test_random_passages_rule():
    cfg = RANDOM.config("quick")
    assert RANDOM.judge(random_seeds(0.65, 0.55), cfg).outcome is Outcome.REPRODUCED
    # random passages still beat ProtoNet by the min gain: the gain is not removed
    over = random_seeds(0.70, 0.55 + GAIN + 0.01)
    assert RANDOM.judge(over, cfg).outcome is Outcome.NOT_REPRODUCED
    # retrieved no better than random
    assert RANDOM.judge(random_seeds(0.50, 0.52), cfg).outcome is Outcome.NOT_REPRODUCED
    assert RANDOM.judge(random_seeds(0.65, 0.55)[:1], cfg).outcome is Outcome.INCONCLUSIVE


def test_configs_refuse_impossible_episodes():
    with pytest.raises(ConfigError, match="texts_per_topic"):
        RamlConfig(texts_per_topic=5, k_shot=1, n_query=5)
    with pytest.raises(ConfigError, match="texts_per_topic"):
        ShotsConfig(texts_per_topic=8, shots=(1, 5))
    with pytest.raises(ConfigError, match="n_way"):
        RamlConfig(n_way=6, split=(15, 5, 5))


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("raml-cache")  # one cache: the claims share encodings


@pytest.mark.parametrize("claim", [ONE, SHOTS, RANDOM], ids=lambda c: c.key)
def test_smoke_runs(claim, cache, monkeypatch):
    monkeypatch.setenv("NNATLAS_CACHE_DIR", str(cache))
    metrics = claim.run(claim.config("smoke"), 0)
    if claim is SHOTS:
        assert len(metrics["gain"]) == 2 and all(0 <= a <= 1 for a in metrics["raml_acc"])
    else:
        assert 0 <= metrics["raml_acc"] <= 1 and 0 <= metrics["protonet_acc"] <= 1
