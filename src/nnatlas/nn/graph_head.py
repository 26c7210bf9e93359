"""Graph-structured heads from Symbolically Synthesized Neural Networks (G-SSNN).

arXiv: 2303.03340 (2023; code: shlomenu/symbolically_synthesized_networks). A G-SSNN keeps a
baseline encoder and replaces its linear head by a *graph-structured* head: an encoder feature
vector ``z`` is split into one contiguous chunk per element (node or edge) of a fixed graph; each
chunk is tiled to the hidden width and added to a fixed 2-D sin-cos embedding of the element's
(order id, port); then GINE-style message passing runs over the graph, node states are mean-
pooled and a linear layer gives the output. Which features meet which, and where, is fixed by the
graph's structure: the paper synthesises these graphs with a symbolic program search and reports
that different structures "modulate the data efficiency and generalization" of the baseline.

Components: :class:`GraphStructure` (an immutable directed graph), :func:`random_graph` and
:func:`random_graph_population`, :func:`gine_aggregate` (``Σ_{j→i} ReLU(h_j + e_{ji})`` by
``index_add``), :class:`GINEConv`, :func:`sincos_embedding_2d` and :class:`GraphStructuredHead`.
Plain PyTorch (gather / ``index_add_``); no DGL or PyTorch Geometric.

Deviations from the paper:

* **No program synthesis.** The paper's graphs come from OCaml programs in a graph DSL found by
  distributional program search and library learning (``stitch``); that stack is out of scope.
  :func:`random_graph_population` draws random small connected graphs (5–20 elements) instead, so
  the "population of structures" is random, not synthesised or selected by training accuracy.
* Ports: a node has port 0; an edge's port is 1 + its rank among the out-edges of its source (our
  reading of the DSL's ports). Order ids are nodes first, then edges, in construction order.
* ``GINEConv`` is ``Linear((1 + ε) h_i + Σ_{j→i} ReLU(h_j + e_{ji}))`` with ``ε = 0`` fixed
  (DGL's default) followed by ReLU; edge features are not updated between layers (as in DGL's
  GINEConv). Dropout is applied to node and edge features before every layer.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from nnatlas.core.errors import ConfigError
from nnatlas.core.validation import check_int, check_real
from nnatlas.nn._checks import check_factory_dtype, check_input, describe, module_dtype

__all__ = [
    "GINEConv",
    "GraphStructure",
    "GraphStructuredHead",
    "gine_aggregate",
    "random_graph",
    "random_graph_population",
    "sincos_embedding_2d",
]


# --------------------------------------------------------------------------- graphs


def _edge(edge: Any) -> tuple[int, int]:
    """``(source, target)`` as Python ints (any integer type is accepted, ``bool`` is not)."""
    try:
        if (
            isinstance(edge, str | bytes)
            or len(edge) != 2
            or any(isinstance(v, bool) for v in edge)
        ):
            raise TypeError
        return operator.index(edge[0]), operator.index(edge[1])
    except TypeError:
        raise TypeError(
            f"edges must hold (source, target) int pairs; got {describe(edge)}"
        ) from None


@dataclass(frozen=True)
class GraphStructure:
    """A fixed directed graph: ``num_nodes`` nodes and a tuple of ``(source, target)`` edges.

    Attributes:
        num_nodes: number of nodes (≥ 1).
        edges: directed edges as node-index pairs; messages flow from source to target.
    """

    num_nodes: int
    edges: tuple[tuple[int, int], ...]

    def __post_init__(self) -> None:
        check_int("num_nodes", self.num_nodes)
        if isinstance(self.edges, str | bytes) or not isinstance(self.edges, Sequence):
            raise TypeError(
                f"edges must be a sequence of (source, target) pairs; got {describe(self.edges)}"
            )
        edges = tuple(_edge(edge) for edge in self.edges)
        for s, t in edges:
            if not (0 <= s < self.num_nodes and 0 <= t < self.num_nodes):
                raise ConfigError(
                    f"edge ({s}, {t}) names a node outside [0, {self.num_nodes}); "
                    f"edges must index the graph's {self.num_nodes} nodes"
                )
        object.__setattr__(self, "edges", edges)

    @property
    def num_edges(self) -> int:
        return len(self.edges)

    @property
    def num_elements(self) -> int:
        """Nodes plus edges: each receives one chunk of the encoder features."""
        return self.num_nodes + self.num_edges

    def edge_index(self, device: torch.device | str | None = None) -> Tensor:
        """``(2, E)`` long tensor: row 0 sources, row 1 targets."""
        if not self.edges:
            return torch.zeros(2, 0, dtype=torch.long, device=device)
        return torch.tensor(self.edges, dtype=torch.long, device=device).T.contiguous()

    def ports(self) -> list[int]:
        """Port of every element (nodes first, then edges)."""
        seen: dict[int, int] = {}
        edge_ports = []
        for s, _ in self.edges:
            seen[s] = seen.get(s, 0) + 1
            edge_ports.append(seen[s])
        return [0] * self.num_nodes + edge_ports

    def relabel(self, permutation: Sequence[int]) -> GraphStructure:
        """The same graph with node ``i`` renamed ``permutation[i]``."""
        if sorted(permutation) != list(range(self.num_nodes)):
            raise ConfigError(
                f"permutation must be a permutation of range({self.num_nodes}); got {list(permutation)}"
            )
        p = list(permutation)
        return GraphStructure(self.num_nodes, tuple((p[s], p[t]) for s, t in self.edges))


def random_graph(
    num_nodes: int, num_edges: int, *, generator: torch.Generator | None = None
) -> GraphStructure:
    """A random weakly connected directed graph without self-loops or repeated edges.

    A random spanning tree (each node after the first attached to an earlier one, in a random
    direction) guarantees connectivity; the remaining edges are distinct random ordered pairs.

    Args:
        num_nodes: number of nodes ``n``.
        num_edges: number of edges, in ``[n − 1, n (n − 1)]``.
        generator: random stream.
    """
    check_int("num_nodes", num_nodes)
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator or None; got {generator!r}")
    check_int(
        "num_edges",
        num_edges,
        low=num_nodes - 1,
        high=num_nodes * (num_nodes - 1),
        high_name="n(n-1)",
    )
    order = torch.randperm(num_nodes, generator=generator).tolist()
    edges: list[tuple[int, int]] = []
    for i in range(1, num_nodes):
        parent = order[int(torch.randint(i, (1,), generator=generator))]
        child = order[i]
        flip = bool(torch.randint(2, (1,), generator=generator))
        edges.append((child, parent) if flip else (parent, child))
    present = set(edges)
    missing = [
        (s, t)
        for s in range(num_nodes)
        for t in range(num_nodes)
        if s != t and (s, t) not in present
    ]
    pick = torch.randperm(len(missing), generator=generator)[: num_edges - len(edges)].tolist()
    edges.extend(missing[i] for i in sorted(pick))
    return GraphStructure(num_nodes, tuple(edges))


def random_graph_population(
    count: int, *, min_elements: int = 5, max_elements: int = 20, seed: int = 0
) -> list[GraphStructure]:
    """``count`` random graphs whose node + edge count lies in ``[min_elements, max_elements]``.

    The element count ``T`` is uniform in the range; the node count ``n`` is uniform among the
    values for which a connected simple digraph with ``T − n`` edges exists
    (``⌈√T⌉ ≤ n ≤ ⌊(T + 1)/2⌋``). A stand-in for the paper's synthesised programs.
    """
    check_int("count", count)
    check_int("min_elements", min_elements, low=3)
    check_int("max_elements", max_elements, low=min_elements, high_name="min_elements")
    gen = torch.Generator().manual_seed(seed)
    graphs = []
    for _ in range(count):
        total = int(torch.randint(min_elements, max_elements + 1, (1,), generator=gen))
        low, high = math.ceil(math.sqrt(total)), (total + 1) // 2
        n = int(torch.randint(low, high + 1, (1,), generator=gen))
        graphs.append(random_graph(n, total - n, generator=gen))
    return graphs


# --------------------------------------------------------------------------- message passing


def _check_edge_index(edge_index: Any, num_nodes: int) -> None:
    """A ``(2, E)`` integer tensor whose entries index ``num_nodes`` nodes."""
    if not isinstance(edge_index, Tensor) or edge_index.dtype not in (torch.int64, torch.int32):
        raise TypeError(
            f"edge_index must be an int64 (or int32) tensor; got {describe(edge_index)}"
        )
    if edge_index.ndim != 2 or edge_index.shape[0] != 2:
        raise ConfigError(f"edge_index must have shape (2, E); got {tuple(edge_index.shape)}")
    # Out-of-range indices would fail inside index_select (a device-side assert on CUDA).
    if edge_index.numel() and not (
        int(edge_index.min()) >= 0 and int(edge_index.max()) < num_nodes
    ):
        raise ConfigError(f"edge_index must hold node indices in [0, {num_nodes})")


def gine_aggregate(h: Tensor, edge_index: Tensor, e: Tensor) -> Tensor:
    """GINE messages summed at their targets: ``out_i = Σ_{(j→i)} ReLU(h_j + e_{ji})``.

    Args:
        h: node features ``(B, N, H)``.
        edge_index: ``(2, E)`` long (sources, targets).
        e: edge features ``(B, E, H)``, in the order of ``edge_index``'s columns.

    Returns:
        ``(B, N, H)``; nodes without incoming edges get zeros.
    """
    check_input("gine_aggregate", h, name="h", ndim=3, expected="(B, N, H)")
    check_input("gine_aggregate", e, name="e", dtype=h.dtype, ndim=3, expected="(B, E, H)")
    _check_edge_index(edge_index, h.shape[1])
    if e.shape[1] != edge_index.shape[1] or e.shape[2] != h.shape[2]:
        raise ValueError(
            f"gine_aggregate expects h (B, N, H), edge_index (2, E), e (B, E, H); got "
            f"{tuple(h.shape)}, {tuple(edge_index.shape)}, {tuple(e.shape)}"
        )
    src, dst = edge_index[0], edge_index[1]
    messages = F.relu(h.index_select(1, src) + e)
    return torch.zeros_like(h).index_add_(1, dst, messages)


class GINEConv(nn.Module):
    """GINE layer ``h_i' = Linear((1 + ε) h_i + Σ_{j→i} ReLU(h_j + e_{ji}))`` (ε fixed, default 0).

    Args:
        dim: node and edge feature size.
        eps: the fixed ε.
        device, dtype: of the parameters.

    Shape:
        - Input: ``h (B, N, dim)``, ``edge_index (2, E)``, ``e (B, E, dim)``.
        - Output: ``(B, N, dim)``.
    """

    def __init__(
        self,
        dim: int,
        *,
        eps: float = 0.0,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        check_factory_dtype(dtype)
        super().__init__()
        self.dim = check_int("dim", dim)
        self.eps = check_real("eps", eps)
        self.linear = nn.Linear(dim, dim, device=device, dtype=dtype)

    def reset_parameters(self) -> None:
        """Re-initialise the linear map (PyTorch default)."""
        self.linear.reset_parameters()

    def forward(self, h: Tensor, edge_index: Tensor, e: Tensor) -> Tensor:
        check_input("GINEConv", h, name="h", dtype=module_dtype(self))
        check_input("GINEConv", e, name="e", dtype=module_dtype(self))
        return self.linear((1 + self.eps) * h + gine_aggregate(h, edge_index, e))

    def extra_repr(self) -> str:
        return f"dim={self.dim}, eps={self.eps:g}"


def sincos_embedding_2d(positions: Tensor, dim: int, temperature: float = 10_000.0) -> Tensor:
    """Fixed 2-D sin-cos embedding (as in ViT): half the channels per coordinate.

    Args:
        positions: ``(P, 2)`` real coordinates.
        dim: embedding size, a multiple of 4.
        temperature: frequency base.

    Returns:
        ``(P, dim)``.
    """
    if not isinstance(positions, Tensor) or positions.is_complex() or positions.dtype == torch.bool:
        raise TypeError(f"positions must be a real tensor (P, 2); got {describe(positions)}")
    if positions.ndim != 2 or positions.shape[1] != 2:
        raise ConfigError(f"positions must have shape (P, 2); got {tuple(positions.shape)}")
    check_int("dim", dim)
    if dim % 4:
        raise ConfigError(f"dim must be a multiple of 4 for a 2-D sin-cos embedding; got {dim}")
    check_real("temperature", temperature, low=0.0, low_open=True)
    quarter = dim // 4
    omega = 1.0 / temperature ** (torch.arange(quarter, dtype=torch.float64) / max(quarter - 1, 1))
    parts = []
    for c in range(2):
        angle = positions[:, c : c + 1].to(torch.float64) * omega
        parts += [angle.sin(), angle.cos()]
    return torch.cat(parts, dim=1).to(
        positions.dtype if positions.is_floating_point() else torch.float32
    )


class GraphStructuredHead(nn.Module):
    """G-SSNN head: encoder features injected into a fixed graph, GINE message passing, pooling.

    ``z`` is split into ``num_nodes + num_edges`` contiguous chunks (``torch.tensor_split``
    sizes); chunk ``k`` is tiled to ``hidden`` values and added to the sin-cos embedding of element
    ``k``'s (order id, port). Nodes then go through ``num_layers`` GINE layers (each followed by
    ReLU, with dropout on node and edge features before each), are mean-pooled, and a linear
    layer gives the output.

    Args:
        in_features: size of ``z``; at least the graph's number of elements.
        out_features: output size.
        graph: the fixed structure.
        hidden: node/edge feature width (a multiple of 4).
        num_layers: GINE layers.
        dropout: dropout probability on node and edge features.
        device, dtype: of the parameters and buffers.

    Shape:
        - Input: ``(B, in_features)``.
        - Output: ``(B, out_features)``.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        graph: GraphStructure,
        *,
        hidden: int = 64,
        num_layers: int = 3,
        dropout: float = 0.3,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        check_factory_dtype(dtype)
        super().__init__()
        if not isinstance(graph, GraphStructure):
            raise TypeError(f"graph must be a GraphStructure; got {type(graph).__name__}")
        self.in_features = check_int("in_features", in_features, low=graph.num_elements)
        self.out_features = check_int("out_features", out_features)
        self.hidden = check_int("hidden", hidden, low=4)
        self.num_layers = check_int("num_layers", num_layers)
        check_real("dropout", dropout, low=0.0, high=1.0, high_open=True)
        self.graph = graph
        self.dropout = float(dropout)
        kw: dict[str, Any] = {"device": device, "dtype": dtype}
        # Element k reads features start_k + (t mod len_k), t < hidden: its chunk, tiled.
        sizes = [len(c) for c in torch.arange(in_features).tensor_split(graph.num_elements)]
        starts = torch.tensor([0, *sizes[:-1]]).cumsum(0)
        t = torch.arange(hidden)
        gather = torch.stack([s + t % n for s, n in zip(starts.tolist(), sizes, strict=True)])
        self.register_buffer("gather_index", gather.to(device), persistent=False)
        self.register_buffer("edge_index", graph.edge_index(device), persistent=False)
        pos = torch.tensor(
            [[float(k), float(p)] for k, p in enumerate(graph.ports())], dtype=torch.float64
        )
        self.register_buffer(
            "position", sincos_embedding_2d(pos, hidden).to(**kw), persistent=False
        )
        self.convs = nn.ModuleList(GINEConv(hidden, **kw) for _ in range(num_layers))
        self.out = nn.Linear(hidden, out_features, **kw)

    gather_index: Tensor
    edge_index: Tensor
    position: Tensor

    def reset_parameters(self) -> None:
        """Re-initialise the GINE layers and the output layer (PyTorch defaults)."""
        for conv in self.convs:
            assert isinstance(conv, GINEConv)
            conv.reset_parameters()
        self.out.reset_parameters()

    def forward(self, z: Tensor) -> Tensor:
        check_input("GraphStructuredHead", z, name="z", dtype=module_dtype(self))
        if z.ndim != 2 or z.shape[1] != self.in_features:
            raise ValueError(
                f"GraphStructuredHead expects z of shape (batch, {self.in_features}); got {tuple(z.shape)}"
            )
        x = z[:, self.gather_index] + self.position.to(z.dtype)  # (B, elements, hidden)
        n = self.graph.num_nodes
        h, e = x[:, :n], x[:, n:]
        for conv in self.convs:
            h = F.dropout(h, self.dropout, self.training)
            e_in = F.dropout(e, self.dropout, self.training)
            h = F.relu(conv(h, self.edge_index, e_in))
        return self.out(h.mean(1))

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"nodes={self.graph.num_nodes}, edges={self.graph.num_edges}, hidden={self.hidden}, "
            f"num_layers={self.num_layers}, dropout={self.dropout:g}"
        )
