"""The WISE verdict rules on made-up per-seed metrics, and each claim's smoke preset once."""

from __future__ import annotations

import pytest

from nnatlas.core.claims import Outcome
from nnatlas.papers.wise import PAPER

TRI = PAPER.claim("impossible-triangle")
DECAY = PAPER.claim("rel-decays-with-t")
SHARD = PAPER.claim("sharding-beats-single-memory")
TQ = TRI.config("quick")

GOOD = {
    "ftl_rel": 0.9, "ftl_gen": 0.8, "ftl_loc": 0.2,
    "grace_rel": 1.0, "grace_gen": 0.2, "grace_loc": 1.0,
    "wise_rel": 0.8, "wise_gen": 0.7, "wise_loc": 0.99,
}  # fmt: skip


def tri_seeds(**over):
    row = GOOD | over
    return [dict(row) | {f"{k}_em": v for k, v in row.items()} for _ in range(3)]


def test_triangle_reproduced_and_reports_exact_match():
    v = TRI.judge(tri_seeds(), TQ)
    assert v.outcome is Outcome.REPRODUCED
    assert "the same checks all hold" in v.reason


@pytest.mark.parametrize(
    "key,bound,side",
    [
        ("ftl_loc", TQ.max_ftl_loc, +1), ("grace_rel", TQ.min_grace_rel, -1),
        ("grace_loc", TQ.min_grace_loc, -1), ("grace_gen", TQ.max_grace_gen, +1),
        ("wise_rel", TQ.min_wise_rel, -1), ("wise_gen", TQ.min_wise_gen, -1),
        ("wise_loc", TQ.min_wise_loc, -1),
    ],
)  # fmt: skip
def test_triangle_each_threshold_on_both_sides(key, bound, side):
    # side=+1: an upper bound (fails just above), side=-1: a lower bound (fails just below)
    inside = TRI.judge(tri_seeds(**{key: bound - side * 0.001}), TQ)
    assert inside.outcome is Outcome.REPRODUCED
    bad = TRI.judge(tri_seeds(**{key: bound + side * 0.01}), TQ)
    assert bad.outcome is Outcome.NOT_REPRODUCED


def test_triangle_exact_match_disagreement_is_named():
    seeds = tri_seeds()
    for s in seeds:
        s["wise_gen_em"] = 0.0
    v = TRI.judge(seeds, TQ)
    assert v.outcome is Outcome.REPRODUCED and "1 fail: WISE Gen (exact match)" in v.reason


def test_triangle_needs_two_seeds():
    assert TRI.judge(tri_seeds()[:1], TQ).outcome is Outcome.INCONCLUSIVE


def decay_seeds(first, last, loc=1.0, jitter=(0.0, 0.02, -0.02)):
    return [
        {"rel": [first + j, 0.5 * (first + last), last], "rel_em": [first, 0.5, last],
         "loc": [1.0, 1.0, loc], "gen": [0.5] * 3, "gen_em": [0.5] * 3, "loc_em": [1.0] * 3}
        for j in jitter
    ]  # fmt: skip


def test_decay_rules():
    q = DECAY.config("quick")
    assert DECAY.judge(decay_seeds(1.0, 0.6), q).outcome is Outcome.REPRODUCED
    assert DECAY.judge(decay_seeds(0.6, 0.9), q).outcome is Outcome.NOT_REPRODUCED
    # a fall of 0.01 with paired spread 0.02: within one s.e. -> inconclusive
    assert DECAY.judge(decay_seeds(0.61, 0.6), q).outcome is Outcome.INCONCLUSIVE
    low = DECAY.judge(decay_seeds(1.0, 0.6, loc=q.min_loc - 0.01), q)
    assert low.outcome is Outcome.NOT_REPRODUCED and "Loc condition fails" in low.reason
    assert (
        DECAY.judge(decay_seeds(1.0, 0.6, loc=q.min_loc + 0.001), q).outcome is Outcome.REPRODUCED
    )
    assert DECAY.judge(decay_seeds(1.0, 0.6)[:1], q).outcome is Outcome.INCONCLUSIVE


def shard_seeds(a, b, jitter=(0.0, 0.02, -0.02)):
    keys = ("rel", "gen", "loc", "rel_em", "gen_em", "loc_em")
    return [
        {f"sharded_{k}": a + j for k in keys} | {f"single_{k}": b for k in keys} for j in jitter
    ]


def test_sharding_rules():
    q = SHARD.config("quick")
    assert SHARD.judge(shard_seeds(0.7, 0.5), q).outcome is Outcome.REPRODUCED
    assert SHARD.judge(shard_seeds(0.5, 0.7), q).outcome is Outcome.NOT_REPRODUCED
    assert SHARD.judge(shard_seeds(0.51, 0.5), q).outcome is Outcome.INCONCLUSIVE


@pytest.mark.parametrize("claim", [TRI, DECAY, SHARD], ids=lambda c: c.key)
def test_smoke_preset_runs(claim):
    cfg = claim.config("smoke")
    m = claim.run(cfg, 0)
    flat = [v for v in m.values() if isinstance(v, float)]
    assert flat and all(0.0 <= v <= 1.0 for v in flat)
