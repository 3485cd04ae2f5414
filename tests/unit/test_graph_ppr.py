"""Personalized PageRank over a small hand-built entity graph."""

from __future__ import annotations

import random

import networkx as nx
from memsvc.retrieval.graph import ScopeGraph, link, rank_turns
from memsvc.retrieval.pagerank import pagerank, walk_of


def scope_graph() -> ScopeGraph:
    g = nx.Graph()
    # Entities: anna, lisbon, bob, paris, and "me" (a speaker mentioned everywhere).
    g.add_edge("anna", "lisbon", weight=2.0)  # anna lives_in lisbon
    g.add_edge("bob", "paris", weight=2.0)
    for entity, turn in [
        ("anna", "t1"),
        ("lisbon", "t2"),
        ("bob", "t3"),
        ("paris", "t4"),
        ("lisbon", "t5"),
    ]:
        g.add_edge(entity, turn, weight=1.0)
    for i in range(1, 8):
        g.add_edge("me", f"t{i}", weight=1.0)
    names = {"anna": "anna", "lisbon": "lisbon", "bob": "bob", "paris": "paris", "me": "me"}
    return ScopeGraph(g, names, {f"t{i}": i for i in range(1, 8)})


def test_link_finds_names_aliases_and_close_spellings() -> None:
    names = {"anna maria": "e1", "lisbon": "e2"}
    assert link("Did Anna Maria like Lisbon?", names) == {"e1": "anna maria", "e2": "lisbon"}
    assert link("what about lisbonn", names) == {"e2": "lisbon"}
    assert link("nothing here", names) == {}


def test_ppr_ranks_turns_near_the_named_entity_first() -> None:
    ranked, linked = rank_turns(scope_graph(), "Where does Anna live?")
    assert linked == ["anna"]
    order = [seq for seq, _ in ranked]
    assert order[0] == 1  # the turn that mentions Anna
    # Lisbon's turns come before Bob's and Paris's: one hop away over the relation.
    assert order.index(2) < order.index(3) and order.index(5) < order.index(4)


def test_an_entity_mentioned_everywhere_is_not_a_seed() -> None:
    ranked, linked = rank_turns(scope_graph(), "what did me say?")
    assert ranked == [] and linked == []


def test_the_cached_walk_ranks_exactly_as_networkx() -> None:
    rng = random.Random(7)
    g = nx.Graph()
    for i in range(300):  # entities linked to each other and to turns, some turns alone
        g.add_edge(f"e{rng.randrange(40)}", f"t{i}", weight=1.0)
        if i % 7 == 0:
            g.add_edge(f"e{rng.randrange(40)}", f"e{rng.randrange(40)}", weight=2.0)
    g.add_node("lonely")  # a dangling node
    walk = walk_of(g)
    for seeds in ({"e1": 1.0}, {"e2": 0.5, "e3": 1.0 / 3}, {"e5": 1.0, "lonely": 0.2}):
        expected = nx.pagerank(g, alpha=0.5, personalization=seeds, weight="weight")
        assert pagerank(walk, seeds, alpha=0.5) == expected
