"""Long checks, off by default (``pytest -m slow``, ``-m repro``, ``-m gpu``).

* ``repro``: every claim at the ``quick`` preset, one seed, through the harness: the pytest
  form of ``nnatlas reproduce --all --seeds 1`` (about 30 minutes on 2 cores).
* ``slow``: every claim's smoke preset through a two-process pool gives the same metrics as the
  serial executor (what makes ``--jobs`` safe to use).
* ``gpu``: every claim's smoke preset on CUDA (skipped without a GPU).
"""

from __future__ import annotations

import pytest
import torch

from nnatlas.papers import all_papers
from nnatlas.runs.executors import make_executor
from nnatlas.runs.runner import plan, reproduce

CLAIMS = [f"{p.key}/{c.key}" for p in all_papers() for c in p.claims]


def _run(selection: str, tmp_path, **kwargs) -> dict:
    executor = kwargs.pop("executor", None) or make_executor("serial", jobs=1, address=None,
                                                             root=str(tmp_path))  # fmt: skip
    plans = plan(selection, root=str(tmp_path), **kwargs)
    (cs,) = reproduce(plans, executor=executor)
    return cs.summary


@pytest.mark.repro
@pytest.mark.parametrize("claim", CLAIMS)
def test_quick_preset_reaches_a_verdict(claim, tmp_path):
    summary = _run(claim, tmp_path, preset="quick", seeds=1, threads=1)
    assert summary["n_seeds"] == 1, summary["verdict"]["reason"]
    assert not summary["verdict"]["reason"].startswith("verdict rule failed"), summary["verdict"]


@pytest.mark.slow
def test_process_pool_matches_serial_on_every_smoke_claim(tmp_path):
    serial = plan(None, preset="smoke", root=str(tmp_path / "serial"), threads=1)
    pooled = plan(None, preset="smoke", root=str(tmp_path / "pool"), threads=1)
    reproduce(serial, executor=make_executor("serial", jobs=1, address=None, root=""))
    reproduce(pooled, executor=make_executor("process", jobs=2, address=None, root=""))
    for a, b in zip(serial, pooled, strict=True):
        timing = {"wall_time_s", "time_s", "images_per_s", "steps_per_s"}
        strip = [{k: v for k, v in m.items() if k not in timing} for m in a.summary["per_seed"]]
        strip_b = [{k: v for k, v in m.items() if k not in timing} for m in b.summary["per_seed"]]
        assert strip == strip_b, f"{a.paper.key}/{a.claim.key} differs between executors"


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("claim", CLAIMS)
def test_smoke_preset_on_cuda(claim, tmp_path):
    summary = _run(claim, tmp_path, preset="smoke", device="cuda")
    assert summary["n_seeds"] >= 1, summary["verdict"]["reason"]
