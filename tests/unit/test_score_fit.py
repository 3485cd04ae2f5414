"""The score-fusion replay's pieces that decide a choice: scaling, splits, narrowing."""

from __future__ import annotations

import numpy as np
from memsvc.evals import score_fit


def test_minmax_scales_best_to_one_and_absent_scores_to_zero() -> None:
    scores = np.array([4.0, np.nan, 3.0, 2.0])
    assert score_fit._scaled(scores, "minmax").tolist() == [1.0, 0.0, 0.5, 0.0]
    assert score_fit.minmax(np.array([2.0, 2.0])).tolist() == [1.0, 1.0]


def test_a_split_candidate_picks_its_weight_by_the_feature() -> None:
    feats = np.zeros((3, len(score_fit.FEATURES)))
    feats[:, 1] = [0.5, 0.9, 1.0]  # lexical_depth
    split = score_fit.Candidate(family=1, below=0, above=5, feature=1, threshold=0.86)
    assert split.choice(feats).tolist() == [0, 5, 5]
    assert score_fit.Candidate(family=1, below=2, above=2).choice(feats).tolist() == [2, 2, 2]


def test_options_narrow_the_candidates() -> None:
    fams = score_fit.families()
    off = score_fit.Candidate(family=1, below=0, above=4, feature=1, threshold=0.86)
    keep = score_fit.narrowed(["--lexical-on"], fams)
    assert not keep(off) and keep(score_fit.Candidate(1, 1, 4))
    assert not score_fit.narrowed(["--rank"], fams)(score_fit.Candidate(1, 1, 1))
    assert not score_fit.narrowed(["--constant"], fams)(off)
    assert not score_fit.narrowed(["--drop=lexical_depth"], fams)(off)
