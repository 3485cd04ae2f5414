"""Personalized PageRank over a scope graph that stays the same from search to search.

`networkx.pagerank` turns the graph into a row-normalised sparse matrix on every call, which is
most of a warm graph search (a few ms on a LoCoMo conversation). `Walk` is that matrix, built
once per cached graph; `pagerank` is networkx's power iteration (`_pagerank_scipy`, networkx
3.x) step for step, so the ranks are the same to the last bit (tests/unit/test_graph_ppr.py
compares them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np
import scipy as sp


@dataclass(frozen=True, slots=True)
class Walk:
    """A graph as PageRank walks it: node order, row-normalised weights, dangling nodes."""

    nodes: list[Any]
    matrix: Any  # scipy sparse (csr) array, nodes x nodes
    dangling: np.ndarray  # indices of nodes without edges


def walk_of(graph: nx.Graph, weight: str = "weight") -> Walk:
    nodes = list(graph)
    a = nx.to_scipy_sparse_array(graph, nodelist=nodes, weight=weight, dtype=float)
    s = a.sum(axis=1)
    s[s != 0] = 1.0 / s[s != 0]
    q = sp.sparse.dia_array((s.T, 0), shape=a.shape).tocsr()
    return Walk(nodes, q @ a, np.where(s == 0)[0])


def pagerank(
    walk: Walk,
    personalization: dict[Any, float],
    alpha: float,
    max_iter: int = 100,
    tol: float = 1.0e-6,
) -> dict[Any, float]:
    """`networkx.pagerank(graph, alpha, personalization, weight=...)` on the walk's graph."""
    n = len(walk.nodes)
    if n == 0:
        return {}
    x = np.repeat(1.0 / n, n)
    p = np.array([personalization.get(node, 0) for node in walk.nodes], dtype=float)
    if p.sum() == 0:
        raise ZeroDivisionError
    p /= p.sum()
    for _ in range(max_iter):
        last = x
        # Python's sum over the dangling mass, as networkx adds it (not numpy's pairwise sum).
        x = alpha * (x @ walk.matrix + sum(x[walk.dangling]) * p) + (1 - alpha) * p
        if np.absolute(x - last).sum() < n * tol:
            return dict(zip(walk.nodes, map(float, x)))
    raise nx.PowerIterationFailedConvergence(max_iter)
