"""Job parameters per kind: the forget job takes exactly the retention policy's fields, with
the policy's bounds, so the schema of a job request cannot drift from what a job reads."""

from __future__ import annotations

from typing import Any

import pytest

from memsvc.domain import ValidationError
from memsvc.jobparams import BatchParams, ForgetParams, check_params
from memsvc.settings import RetentionPolicy

BOUNDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "type", "enum")


def _bounds(prop: dict[str, Any]) -> dict[str, Any]:
    """The bounds of a property, looking inside `anyOf [T, null]` of an optional one."""
    inner = next((p for p in prop.get("anyOf", []) if p.get("type") != "null"), prop)
    items = inner.get("items", {})
    return {k: v for k, v in {**inner, **items}.items() if k in BOUNDS}


def test_forget_params_are_the_retention_policy_fields_with_its_bounds() -> None:
    own = set(ForgetParams.model_fields) - set(BatchParams.model_fields)
    assert own == set(RetentionPolicy.model_fields)
    policy = RetentionPolicy.model_json_schema()["properties"]
    params = ForgetParams.model_json_schema()["properties"]
    for name in own - {"granularities"}:  # the job names granularities, the policy any text
        assert _bounds(params[name]) == _bounds(policy[name]), name


@pytest.mark.parametrize(
    ("kind", "params", "field"),
    [
        ("forget", {"grace_days": -5}, "params.grace_days"),
        ("forget", {"archive_below": 2}, "params.archive_below"),
        ("forget", {"purge": "yes"}, "params.purge"),
        ("consolidate", {"merge_similarity": "0.5"}, "params.merge_similarity"),
        ("consolidate", {"batch_size": True}, "params.batch_size"),
        ("compress", {"summary_chars": 10}, "params.summary_chars"),
        ("extract", {"batch_size": 10}, "params.batch_size"),
    ],
)
def test_a_parameter_out_of_range_names_itself(
    kind: str, params: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        check_params(kind, params)
    assert caught.value.field == field and kind in caught.value.message


def test_checked_params_keep_only_what_was_set() -> None:
    checked = check_params("forget", {"grace_days": 7, "now": "2024-05-01T10:00:00+02:00"})
    assert checked == {"grace_days": 7.0, "now": "2024-05-01T08:00:00Z"}
