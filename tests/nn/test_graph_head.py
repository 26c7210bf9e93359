"""G-SSNN graph-structured head: message passing against a dense reference, equivariance, graphs."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from nnatlas.core.errors import ConfigError
from nnatlas.nn.graph_head import (
    GINEConv,
    GraphStructure,
    GraphStructuredHead,
    gine_aggregate,
    random_graph,
    random_graph_population,
    sincos_embedding_2d,
)
from nnatlas.testing import check_module_case, load_all, module_cases

F64 = torch.float64


@pytest.mark.parametrize(
    "name", ["GraphStructuredHead", "GINEConv", "GraphStructuredHead-random-graph"]
)
def test_conformance(name: str) -> None:
    load_all()
    (case,) = [c for c in module_cases() if c.name == name]
    check_module_case(case)


def _dense_aggregate(h: torch.Tensor, graph: GraphStructure, e: torch.Tensor) -> torch.Tensor:
    """Reference with a dense adjacency and a dense (B, N, N, H) edge-feature tensor."""
    b, n, hid = h.shape
    adj = torch.zeros(n, n, dtype=h.dtype)
    dense_e = torch.zeros(b, n, n, hid, dtype=h.dtype)
    for k, (s, t) in enumerate(graph.edges):
        adj[t, s] = 1.0
        dense_e[:, t, s] = e[:, k]
    messages = F.relu(h.unsqueeze(1) + dense_e)  # [b, i, j] = relu(h_j + e_ji)
    return (adj.unsqueeze(0).unsqueeze(-1) * messages).sum(2)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_message_passing_equals_dense_adjacency_reference(seed: int) -> None:
    gen = torch.Generator().manual_seed(seed)
    graph = random_graph(7, 12, generator=gen)
    h = torch.randn(3, 7, 5, generator=gen, dtype=F64)
    e = torch.randn(3, 12, 5, generator=gen, dtype=F64)
    out = gine_aggregate(h, graph.edge_index(), e)
    assert torch.allclose(out, _dense_aggregate(h, graph, e), atol=1e-12)


def test_gine_conv_is_equivariant_under_node_relabelling() -> None:
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(4)
    graph = random_graph(6, 10, generator=gen)
    conv = GINEConv(4, eps=0.25, dtype=F64)
    h = torch.randn(2, 6, 4, dtype=F64)
    e = torch.randn(2, 10, 4, dtype=F64)
    perm = torch.randperm(6, generator=gen)
    relabelled = graph.relabel(perm.tolist())
    # New node perm[i] carries old node i's features.
    h_new = torch.empty_like(h)
    h_new[:, perm] = h
    out_new = conv(h_new, relabelled.edge_index(), e)
    out_old = conv(h, graph.edge_index(), e)
    assert torch.allclose(out_new[:, perm], out_old, atol=1e-12)
    # Mean pooling of the result is invariant.
    assert torch.allclose(out_new.mean(1), out_old.mean(1), atol=1e-12)


def test_gine_conv_closed_form_on_a_path() -> None:
    conv = GINEConv(1, dtype=F64)
    with torch.no_grad():
        conv.linear.weight.fill_(1.0)
        conv.linear.bias.zero_()
    graph = GraphStructure(3, ((0, 1), (1, 2)))
    h = torch.tensor([[[1.0], [-2.0], [3.0]]], dtype=F64)
    e = torch.tensor([[[0.5], [1.0]]], dtype=F64)
    out = conv(h, graph.edge_index(), e)
    # node 0: 1; node 1: -2 + relu(1 + 0.5); node 2: 3 + relu(-2 + 1)
    assert torch.allclose(out.flatten(), torch.tensor([1.0, -0.5, 3.0], dtype=F64))


def test_head_injects_tiled_chunks_and_reads_every_feature() -> None:
    graph = GraphStructure(3, ((0, 1), (1, 2)))  # 5 elements
    head = GraphStructuredHead(12, 2, graph, hidden=8, dropout=0.0)
    # 12 features in 5 chunks: sizes 3, 3, 2, 2, 2; element 0 reads 0,1,2,0,1,2,0,1.
    assert head.gather_index[0].tolist() == [0, 1, 2, 0, 1, 2, 0, 1]
    assert head.gather_index[4].tolist() == [10, 11] * 4
    assert sorted(set(head.gather_index.flatten().tolist())) == list(range(12))
    z = torch.randn(4, 12, requires_grad=True)
    head(z).sum().backward()
    assert z.grad is not None and z.grad.shape == (4, 12)
    assert head.eval()(z).shape == (4, 2)


def test_head_output_depends_on_the_structure() -> None:
    torch.manual_seed(0)
    a = GraphStructuredHead(10, 1, GraphStructure(3, ((0, 1), (1, 2))), hidden=8, dropout=0.0)
    torch.manual_seed(0)
    b = GraphStructuredHead(10, 1, GraphStructure(3, ((2, 1), (1, 0))), hidden=8, dropout=0.0)
    z = torch.randn(5, 10)
    assert not torch.allclose(a(z), b(z))


def test_random_graphs_are_connected_simple_and_in_range() -> None:
    graphs = random_graph_population(40, min_elements=5, max_elements=20, seed=7)
    assert graphs == random_graph_population(40, min_elements=5, max_elements=20, seed=7)
    for g in graphs:
        assert 5 <= g.num_elements <= 20
        assert len(set(g.edges)) == g.num_edges and all(s != t for s, t in g.edges)
        # Weak connectivity by union-find.
        parent = list(range(g.num_nodes))

        def find(i: int, parent: list[int] = parent) -> int:
            while parent[i] != i:
                i = parent[i]
            return i

        for s, t in g.edges:
            parent[find(s)] = find(t)
        assert len({find(i) for i in range(g.num_nodes)}) == 1
    assert len({g.edges for g in graphs}) > 30


def test_sincos_embedding_values() -> None:
    emb = sincos_embedding_2d(torch.tensor([[0.0, 0.0], [1.0, 2.0]], dtype=F64), 8)
    assert torch.allclose(emb[0], torch.tensor([0, 0, 1, 1, 0, 0, 1, 1], dtype=F64))
    assert math.isclose(float(emb[1, 0]), math.sin(1.0))
    assert math.isclose(float(emb[1, 5]), math.sin(2.0 / 10_000.0), rel_tol=1e-9)


def test_bad_arguments_raise_clear_errors() -> None:
    with pytest.raises(ConfigError, match="outside"):
        GraphStructure(2, ((0, 2),))
    with pytest.raises(ConfigError, match="in_features"):
        GraphStructuredHead(3, 1, GraphStructure(3, ((0, 1), (1, 2))))
    with pytest.raises(ConfigError, match="num_edges"):
        random_graph(4, 2)
    with pytest.raises(ConfigError, match="dropout"):
        GraphStructuredHead(8, 1, GraphStructure(2, ((0, 1),)), dropout=1.0)
    with pytest.raises(ValueError, match="expects z"):
        GraphStructuredHead(8, 1, GraphStructure(2, ((0, 1),)), hidden=8)(torch.randn(2, 7))
    with pytest.raises(TypeError, match="GraphStructure"):
        GraphStructuredHead(8, 1, [(0, 1)], hidden=8)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="multiple of 4"):
        sincos_embedding_2d(torch.zeros(1, 2), 6)
