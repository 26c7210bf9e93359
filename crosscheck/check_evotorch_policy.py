"""OpenAI-ES (nnatlas.optim) vs evotorch's PGPE run as OpenAI-ES on polystep's cart-pole task.

The baseline of polystep's ``policy-search`` claim is our OpenAI-ES: the claim says PolyStep
*matches* it, so an OpenAI-ES weaker than the peer's would make that claim easy. Task and
settings are the claim's quick preset (:class:`nnatlas.papers.polystep.PolicyConfig`): a
4-16-2 ``CartPolePolicy`` per hidden activation (float tanh, int8, binary), 15 updates of a
population of 50 (antithetic, σ 0.1, Adam lr 0.05 on the centre, centred ranks), 4 training
rollouts per candidate from start states drawn afresh each update (seed ``1000·seed + update``,
the same for both methods), and the normalised test return (mean of 20 rollouts from held-out
start states, divided by the 200-step cap) of the final centre. evotorch's ``PGPE`` with
``stdev_learning_rate=0`` is OpenAI-ES with these settings. Seeds 0-4, one more pair of seeds
than the claim, because returns on this task are bimodal (a policy balances or it does not).

Verdict per activation (fixed before running): the rule of
``check_polystep.stochastic_verdict`` (ours worse than the peer by more than 2 standard errors
and by more than 0.02 normalised return: disagree).
"""

from __future__ import annotations

from typing import Any

from _common import fmt_ms, guarded, row, setup, version
from _snn_task import evotorch_openai_es, flat_to_values, load_centre
from check_polystep import stochastic_verdict

PEER = "evotorch"
COMPONENTS = ["OpenAI-ES (cart-pole)"]
SEEDS = (0, 1, 2, 3, 4)


def run(method: str, activation: str, seed: int, c: Any) -> float:
    """Train one policy with ``method`` (``nnatlas-es`` or ``evotorch-es``) at the settings of
    ``c`` (a ``PolicyConfig``); the normalised test return."""
    import torch

    from nnatlas.data.control import CartPoleClosure, CartPolePolicy, episode_returns
    from nnatlas.optim import OpenAIES

    torch.manual_seed(seed)
    policy = CartPolePolicy(c.hidden, activation)  # type: ignore[arg-type]
    params = list(policy.parameters())

    def closure(update: int) -> Any:
        return CartPoleClosure(policy, episodes=c.episodes, max_steps=c.max_steps,
                               seed=1000 * seed + update)  # fmt: skip

    if method == "nnatlas-es":
        es = OpenAIES(params, sigma=c.es_sigma, lr=c.es_lr, population_size=c.es_population,
                      seed=seed)  # fmt: skip
        for i in range(c.updates):
            es.step(closure(i))  # type: ignore[arg-type]
    elif method == "evotorch-es":
        current: dict[str, Any] = {}

        def fitness(solutions: Any) -> Any:
            values = flat_to_values(solutions.float(), params)
            return current["closure"].evaluate_batch(params, values)

        searcher = evotorch_openai_es(params, fitness, sigma=c.es_sigma, lr=c.es_lr,
                                      popsize=c.es_population, seed=seed)  # fmt: skip
        for i in range(c.updates):
            current["closure"] = closure(i)
            searcher.step()
        load_centre(searcher, params)
    else:
        raise ValueError(f"unknown method {method!r}")
    test = episode_returns(policy, episodes=c.test_episodes, max_steps=c.max_steps,
                           seed=10**6 + seed)  # fmt: skip
    return float(test.mean()) / c.max_steps


def body() -> list[dict[str, str]]:
    from nnatlas.papers.polystep import PolicyConfig

    setup()
    c = PolicyConfig()
    rows = []
    for act in c.activations:
        ours = [run("nnatlas-es", act, s, c) for s in SEEDS]
        theirs = [run("evotorch-es", act, s, c) for s in SEEDS]
        verdict, note = stochastic_verdict(ours, theirs)
        rows.append(row(
            "OpenAI-ES", f"evotorch {version('evotorch')} (PGPE, fixed σ)",
            f"normalised test return, {act} cart-pole policy, {c.updates} updates × "
            f"{c.es_population}, seeds {list(SEEDS)}",
            f"ours {fmt_ms(ours)}, evotorch {fmt_ms(theirs)}", verdict, note,
        ))  # fmt: skip
    return rows


if __name__ == "__main__":
    guarded(COMPONENTS, PEER, body)
