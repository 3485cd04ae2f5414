"""The bad-input corpus: one table of hostile or odd requests, sent over HTTP (uvicorn on
127.0.0.1). Each gets a clear 4xx whose message says what to fix (naming the field where there
is one), or a correct 2xx answer; never a 500. After each, the user's scope still works: an add
and a search of the same user answer 2xx and find what was added, and listing the user answers
200. (Issue 10's list, plus unicode edge cases, 10 MB strings and FTS syntax in queries.)
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from memsvc.api.app import create_app

from memsvc.bootstrap import build
from memsvc.domain.auth import NewKey
from tests.conftest import make_settings
from tests.servers import app_server

USER = "u"
SEEDED = "My sister Ana lives in Porto"
MB10 = 10_000_000
FAR_PAST = "0001-01-01T00:00:00+23:59"
FAR_FUTURE = "9999-12-31T23:59:59-23:59"


@dataclass(frozen=True)
class Bad:
    """A request and what must come back. `path` may name `{memory}` (a turn of USER) or
    `{bounded}` (one whose validity ends 2024-01-01). The body is `json` (sent as JSON) or
    `raw` (sent as is, with `content_type`)."""

    name: str
    method: str
    path: str
    json: Any = None
    raw: bytes | str | None = None
    content_type: str = "application/json"
    params: dict[str, Any] | None = None
    status: int = 422
    field: str | None = None  # the `field` the error names
    says: str = ""  # words the error message contains
    check: Callable[[httpx.Response], bool] | None = None  # for a 2xx: the right answer
    user: str = USER  # whose scope must still work afterwards


def add(*messages: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"user_id": USER, "messages": list(messages), **extra}


def msg(content: str = "hello there", **extra: Any) -> dict[str, Any]:
    return {"content": content, **extra}


def search(query: str = "Ana", **extra: Any) -> dict[str, Any]:
    return {"user_id": USER, "query": query, **extra}


def job(kind: str, **params: Any) -> dict[str, Any]:
    return {"kind": kind, "user_id": USER, "params": params}


def raw_add(metadata: str) -> str:
    return '{"user_id": "u", "messages": [{"content": "hello", "metadata": ' + metadata + "}]}"


def nested(depth: int) -> dict[str, Any]:
    node: dict[str, Any] = {"leaf": 1}
    for _ in range(depth):
        node = {"a": node}
    return node


def window(start: str, end: str) -> Callable[[httpx.Response], bool]:
    return lambda r: (
        r.json()["time_window"]
        == {
            "start": start,
            "end": end,
            "source": r.json()["time_window"]["source"],
        }
    )


def stored(content: str, **fields: Any) -> Callable[[httpx.Response], bool]:
    """The add stored the text exactly, with these fields."""

    def check(r: httpx.Response) -> bool:
        memory = r.json()["memories"][0]
        return memory["content"] == content and all(memory[k] == v for k, v in fields.items())

    return check


def top_hit(text: str) -> Callable[[httpx.Response], bool]:
    return lambda r: bool(r.json()["hits"]) and text in r.json()["hits"][0]["memory"]["content"]


def lexical_found(text: str) -> Callable[[httpx.Response], bool]:
    """A hit holding `text` came through the lexical list (the part that reads FTS syntax):
    the query's operators were read as words. Where it lands after fusion is the router's
    business (with the tests' hashing embedder, dense is noise)."""

    def check(r: httpx.Response) -> bool:
        return any(
            text in hit["memory"]["content"]
            and any(x["retriever"] == "turn.lexical" for x in hit["retrievers"])
            for hit in r.json()["hits"]
        )

    return check


def answered(r: httpx.Response) -> bool:
    return all(h["memory"]["user_id"] == USER for h in r.json()["hits"])


def chunked_10mb() -> Iterator[bytes]:
    """10 MB sent without a Content-Length: the limit counts what arrives."""
    yield b'{"user_id": "u", "messages": [{"content": "'
    for _ in range(100):
        yield b"x" * 100_000
    yield b'"}]}'


FTS_SYNTAX = [
    ('"', None),
    ('"unbalanced', None),
    ("*", None),
    ("Porto*", "Porto"),
    ("NEAR(Ana Porto)", "Porto"),
    ("NEAR(", None),
    ("Ana NEAR/2 Porto", "Porto"),
    ("AND OR NOT", None),
    ("NOT Porto", "Porto"),
    ("Ana AND", "Ana"),
    ("part:Porto", "Porto"),
    ("content:Ana", "Ana"),
    ("^Porto", "Porto"),
    ("-Porto", "Porto"),
    ("+Ana", "Ana"),
    ("(", None),
    (")", None),
    ("{Ana}", "Ana"),
    ('"Ana Porto"', "Porto"),
    ("Ana's", "Ana"),
    ("'", None),
    ("\\", None),
    ("%", None),
    ("_", None),
    ("Porto; DROP TABLE units;--", "Porto"),
]

# One case a line, so the table reads as a list (the formatter would spread each over ten).
# fmt: off
CORPUS: list[Bad] = [
    # -- NaN and Infinity: not JSON; refused at the edge, naming where they were -------------
    Bad("nan in metadata", "POST", "/v1/memories", raw=raw_add('{"x": NaN}'), field="messages.0.metadata", says="'x' is nan"),
    Bad("infinity in metadata", "POST", "/v1/memories", raw=raw_add('{"x": Infinity}'), field="messages.0.metadata", says="finite"),
    Bad("-infinity in a list in metadata", "POST", "/v1/memories", raw=raw_add('{"a": [1, -Infinity]}'), field="messages.0.metadata", says="a[1]"),
    Bad("number too large for a float", "POST", "/v1/memories", raw=raw_add('{"x": 1e400}'), field="messages.0.metadata", says="finite"),
    Bad("number with 5000 digits", "POST", "/v1/memories", raw=raw_add('{"x": 1' + "0" * 5000 + "}"), field="body"),
    Bad("nan in attributes", "PATCH", "/v1/memories/{memory}", raw='{"attributes": {"x": NaN}}', field="attributes", says="finite"),
    Bad("nan importance", "PATCH", "/v1/memories/{memory}", raw='{"importance": NaN}', field="importance", says="finite"),
    Bad("nan k", "POST", "/v1/memories/search", raw='{"user_id": "u", "query": "Ana", "k": NaN}', field="k"),
    Bad("nan job parameter", "POST", "/v1/jobs", raw='{"kind": "consolidate", "params": {"merge_similarity": NaN}}', field="consolidate.params.merge_similarity"),
    # -- times far from now: years 1900-2199 as written, or a 422 naming the field -----------
    Bad("message occurred_at in year 1", "POST", "/v1/memories", json=add(msg(occurred_at=FAR_PAST)), field="messages.0.occurred_at", says="between 1900 and 2199"),
    Bad("default occurred_at in year 9999", "POST", "/v1/memories", json=add(msg(), occurred_at=FAR_FUTURE), field="occurred_at", says="not in 9999"),
    Bad("search start in year 1", "POST", "/v1/memories/search", json=search(start=FAR_PAST), field="start"),
    Bad("search end in year 9999", "POST", "/v1/memories/search", json=search(end=FAR_FUTURE), field="end"),
    Bad("search as_of in year 1", "POST", "/v1/memories/search", json=search(as_of=FAR_PAST), field="as_of"),
    Bad("search query_time in year 9999", "POST", "/v1/memories/search", json=search(query_time=FAR_FUTURE), field="query_time"),
    Bad("valid_to in year 9999", "PATCH", "/v1/memories/{memory}", json={"valid_to": FAR_FUTURE}, field="valid_to"),
    Bad("valid_from in year 1", "PATCH", "/v1/memories/{memory}", json={"valid_from": FAR_PAST}, field="valid_from"),
    Bad("list occurred_from in year 1", "GET", "/v1/memories", params={"user_id": USER, "occurred_from": FAR_PAST}, field="occurred_from"),
    Bad("list valid_at in year 9999", "GET", "/v1/memories", params={"user_id": USER, "valid_at": FAR_FUTURE}, field="valid_at"),
    Bad("job clock in year 1", "POST", "/v1/jobs", json=job("forget", now=FAR_PAST), field="forget.params.now"),
    Bad("occurred_at 1899 in UTC", "POST", "/v1/memories", json=add(msg(occurred_at="1899-12-31T23:59:59Z")), field="messages.0.occurred_at"),
    Bad("last second of 2199 at -23:59", "POST", "/v1/memories", json=add(msg("at the end of time", occurred_at="2199-12-31T23:59:59-23:59")), status=201, check=stored("at the end of time", occurred_at="2200-01-01T23:58:59Z")),
    Bad("first second of 1900 at +23:59", "POST", "/v1/memories", json=add(msg("at the start of time", occurred_at="1900-01-01T00:00:00+23:59")), status=201, check=stored("at the start of time", occurred_at="1899-12-31T00:01:00Z")),
    # -- relative time phrases resolved near the ends of the range --------------------------
    Bad("last year in January 1900", "POST", "/v1/memories/search", json=search("what did Ana do last year", query_time="1900-01-05T00:00:00Z"), status=200, check=window("1899-01-01T00:00:00Z", "1900-01-01T00:00:00Z")),
    Bad("next year at the end of 2199", "POST", "/v1/memories/search", json=search("where will Ana be next year", query_time="2199-12-31T23:59:59-23:59"), status=200, check=window("2201-01-01T00:00:00Z", "2202-01-01T00:00:00Z")),
    Bad("yesterday on 1 January 1900", "POST", "/v1/memories/search", json=search("Ana yesterday", query_time="1900-01-01T00:00:00+23:59"), status=200, check=window("1899-12-30T00:00:00Z", "1899-12-31T00:00:00Z")),
    Bad("tomorrow on 31 December 2199", "POST", "/v1/memories/search", json=search("Ana tomorrow", query_time="2199-12-31T23:59:59-23:59"), status=200, check=window("2200-01-02T00:00:00Z", "2200-01-03T00:00:00Z")),
    Bad("9000 years ago", "POST", "/v1/memories/search", json=search("Ana 9000 years ago", query_time="1900-01-05T00:00:00Z"), status=200, check=answered),
    Bad("in 99999999 days", "POST", "/v1/memories/search", json=search("Ana in 99999999 days", query_time="2199-01-01T00:00:00Z"), status=200, check=answered),
    # -- nesting -----------------------------------------------------------------------------
    Bad("metadata nested 900 deep", "POST", "/v1/memories", json=add(msg(metadata=nested(900))), field="messages.0.metadata", says="deeper than 20"),
    Bad("body nested 100000 deep", "POST", "/v1/memories", raw=raw_add("[" * 100_000 + "]" * 100_000), field="body"),
    Bad("attributes nested 25 deep", "PATCH", "/v1/memories/{memory}", json={"attributes": nested(25)}, field="attributes", says="deeper than 20"),
    # -- validity and windows in the wrong order --------------------------------------------
    Bad("valid_from after valid_to", "PATCH", "/v1/memories/{memory}", json={"valid_from": "2024-02-01T00:00:00Z", "valid_to": "2024-01-01T00:00:00Z"}, field="valid_from", says="before valid_to"),
    Bad("valid_from equal to valid_to", "PATCH", "/v1/memories/{memory}", json={"valid_from": "2024-01-01T00:00:00Z", "valid_to": "2024-01-01T00:00:00Z"}, field="valid_from", says="before valid_to"),
    Bad("valid_from after the stored valid_to", "PATCH", "/v1/memories/{bounded}", json={"valid_from": "2024-06-01T00:00:00Z"}, field="valid_from", says="before valid_to"),
    Bad("valid_to before the stored valid_from", "PATCH", "/v1/memories/{bounded}", json={"valid_to": "2022-06-01T00:00:00Z"}, field="valid_to", says="before valid_to"),
    Bad("search start after end", "POST", "/v1/memories/search", json=search(start="2024-02-01T00:00:00Z", end="2024-01-01T00:00:00Z"), field="start", says="before its end"),
    # -- times that are not ISO 8601 date-times ---------------------------------------------
    Bad('occurred_at "-1"', "POST", "/v1/memories", json=add(msg(occurred_at="-1")), field="messages.0.occurred_at", says="ISO 8601"),
    Bad("occurred_at as a Unix time", "POST", "/v1/memories", json=add(msg(occurred_at=1700000000)), field="messages.0.occurred_at", says="ISO 8601"),
    Bad("occurred_at empty", "POST", "/v1/memories", json=add(msg(occurred_at="")), field="messages.0.occurred_at"),
    Bad("occurred_at 30 February", "POST", "/v1/memories", json=add(msg(occurred_at="2024-02-30T00:00:00Z")), field="messages.0.occurred_at"),
    Bad("occurred_at offset +25:00", "POST", "/v1/memories", json=add(msg(occurred_at="2024-01-01T00:00:00+25:00")), field="messages.0.occurred_at"),
    Bad("occurred_at in words", "POST", "/v1/memories", json=add(msg(occurred_at="yesterday")), field="messages.0.occurred_at"),
    # -- numbers that are not counts ---------------------------------------------------------
    Bad("k: true", "POST", "/v1/memories/search", json=search(k=True), field="k"),
    Bad('k: "5"', "POST", "/v1/memories/search", json=search(k="5"), field="k"),
    Bad("k: 2.5", "POST", "/v1/memories/search", json=search(k=2.5), field="k"),
    Bad("k: 0", "POST", "/v1/memories/search", json=search(k=0), field="k"),
    Bad("k: -1", "POST", "/v1/memories/search", json=search(k=-1), field="k"),
    Bad("k over the limit", "POST", "/v1/memories/search", json=search(k=201), field="k", says="between 1 and 200"),
    Bad("k: 3.0 is 3", "POST", "/v1/memories/search", json=search(k=3.0), status=200, check=lambda r: 1 <= len(r.json()["hits"]) <= 3),
    Bad("limit: true", "GET", "/v1/memories", params={"user_id": USER, "limit": "true"}, field="limit"),
    Bad("limit over the page size", "GET", "/v1/memories", params={"user_id": USER, "limit": 501}, field="limit", says="between 1 and 500"),
    Bad("include_archived: 1", "POST", "/v1/memories/search", json=search(include_archived=1), field="include_archived"),
    Bad('pinned: "yes"', "PATCH", "/v1/memories/{memory}", json={"pinned": "yes"}, field="pinned"),
    # -- NUL characters ----------------------------------------------------------------------
    Bad("NUL in user_id", "POST", "/v1/memories", json=add(msg(), user_id="u\x00"), field="user_id", says="NUL"),
    Bad("NUL in agent_id", "POST", "/v1/memories", json=add(msg(), agent_id="a\x00"), field="agent_id", says="NUL"),
    Bad("NUL in session_id", "POST", "/v1/memories", json=add(msg(), session_id="s\x00"), field="session_id", says="NUL"),
    Bad("NUL in content", "POST", "/v1/memories", json=add(msg("hel\x00lo")), field="messages.0.content", says="NUL"),
    Bad("NUL in client_id", "POST", "/v1/memories", json=add(msg(client_id="c\x00")), field="messages.0.client_id", says="NUL"),
    Bad("NUL in speaker", "POST", "/v1/memories", json=add(msg(speaker="Ana\x00")), field="messages.0.speaker", says="NUL"),
    Bad("NUL in the query", "POST", "/v1/memories/search", json=search("Ana\x00"), field="query", says="NUL"),
    Bad("NUL in a listed user_id", "GET", "/v1/memories", params={"user_id": "u\x00"}, field="user_id", says="NUL"),
    Bad("NUL in a memory id", "GET", "/v1/memories/abc%00def", status=404),
    Bad("NUL in a metadata value", "POST", "/v1/memories", json=add(msg("a nul in metadata", metadata={"k": "v\x00"})), status=201, check=lambda r: r.json()["memories"][0]["attributes"]["metadata"] == {"k": "v\x00"}),
    # -- job parameters, checked per kind before the job is queued --------------------------
    Bad("batch_size -1", "POST", "/v1/jobs", json=job("consolidate", batch_size=-1), field="consolidate.params.batch_size"),
    Bad("batch_size true", "POST", "/v1/jobs", json=job("compress", batch_size=True), field="compress.params.batch_size"),
    Bad("grace_days -5", "POST", "/v1/jobs", json=job("forget", grace_days=-5), field="forget.params.grace_days"),
    Bad("archive_below 2", "POST", "/v1/jobs", json=job("forget", archive_below=2), field="forget.params.archive_below"),
    Bad('merge_similarity "abc"', "POST", "/v1/jobs", json=job("consolidate", merge_similarity="abc"), field="consolidate.params.merge_similarity"),
    Bad("pause_s of a day", "POST", "/v1/jobs", json=job("consolidate", pause_s=86400), field="consolidate.params.pause_s"),
    Bad("unknown granularity to forget", "POST", "/v1/jobs", json=job("forget", granularities=["bogus"]), field="forget.params.granularities.0"),
    Bad("unknown parameter", "POST", "/v1/jobs", json=job("consolidate", colour="red"), field="consolidate.params.colour", says="not permitted"),
    Bad("a parameter of another kind", "POST", "/v1/jobs", json=job("extract", batch_size=5), field="extract.params.batch_size"),
    Bad("unknown job kind", "POST", "/v1/jobs", json=job("sing"), field="kind", says="consolidate"),
    Bad("no job kind", "POST", "/v1/jobs", json={"params": {}}, field="kind", says="required"),
    Bad("params not an object", "POST", "/v1/jobs", json={"kind": "forget", "params": [1]}, field="forget.params"),
    Bad('dry_run "yes"', "POST", "/v1/jobs", json={"kind": "forget", "dry_run": "yes"}, field="forget.dry_run"),
    # -- sizes -------------------------------------------------------------------------------
    Bad("query over the limit", "POST", "/v1/memories/search", json=search("x" * 4001), field="query", says="4000"),
    Bad("query of spaces", "POST", "/v1/memories/search", json=search("   "), field="query", says="empty"),
    Bad("content over the limit", "POST", "/v1/memories", json=add(msg("x" * 100_001)), field="messages.0.content", says="100000"),
    Bad("content of whitespace", "POST", "/v1/memories", json=add(msg("\t\n \x1c")), field="messages.0.content", says="empty"),
    Bad("1001 messages", "POST", "/v1/memories", json=add(*[msg(f"m{i}") for i in range(1001)]), status=413, field="messages", says="split"),
    Bad("10 MB content", "POST", "/v1/memories", json=add(msg("x" * MB10)), status=413, says="larger than"),
    Bad("10 MB user_id", "POST", "/v1/memories", json=add(msg(), user_id="u" * MB10), status=413, says="larger than"),
    Bad("10 MB query", "POST", "/v1/memories/search", json=search("q" * MB10), status=413, says="larger than"),
    Bad("10 MB attributes", "PATCH", "/v1/memories/{memory}", json={"attributes": {"x": "y" * MB10}}, status=413, says="larger than"),
    Bad("10 MB without Content-Length", "POST", "/v1/memories", raw=b"", status=413, says="larger than"),
    # -- bodies that cannot be read ----------------------------------------------------------
    Bad("invalid UTF-8", "POST", "/v1/memories", raw=b'{"user_id": "u", "messages": [{"content": "\xff\xfe"}]}', field="body", says="UTF-8"),
    Bad("not JSON", "POST", "/v1/memories", raw="hello", field="body", says="not valid JSON"),
    Bad("truncated JSON", "POST", "/v1/memories", raw='{"user_id": "u", "messages": [', field="body", says="not valid JSON"),
    Bad("empty body", "POST", "/v1/memories", raw="", says="JSON body is required"),
    Bad("a JSON array", "POST", "/v1/memories", raw="[1, 2]", says="JSON object"),
    Bad("JSON sent as text/plain", "POST", "/v1/memories", raw=json.dumps(add(msg())), content_type="text/plain", field="body", says="Content-Type: application/json"),
    Bad("an unknown field", "POST", "/v1/memories", json=add(msg(), colour="red"), field="colour", says="not permitted"),
    Bad("a query parameter twice", "GET", "/v1/memories", params={"user_id": [USER, "v"]}, field="user_id", says="2 times"),
    Bad("a cursor past the integers", "GET", "/v1/memories", params={"user_id": USER, "cursor": "czo5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5"}, field="cursor", says="malformed"),
    Bad("a cursor of symbols", "GET", "/v1/memories", params={"user_id": USER, "cursor": "!!!"}, field="cursor", says="malformed"),
    Bad("a method the path lacks", "PUT", "/v1/memories", json=add(msg()), status=405, says="use GET, POST", check=lambda r: r.headers["allow"] == "GET, POST"),
    # -- unicode -----------------------------------------------------------------------------
    Bad("lone surrogate in content", "POST", "/v1/memories", raw='{"user_id": "u", "messages": [{"content": "hi \\ud800"}]}', field="messages.0.content"),
    Bad("lone surrogate in user_id", "POST", "/v1/memories", raw='{"user_id": "u\\udc00", "messages": [{"content": "hi"}]}', field="user_id"),
    Bad("lone surrogate in a metadata value", "POST", "/v1/memories", raw=raw_add('{"k": "v\\ud800"}'), field="messages.0.metadata", says="surrogate"),
    Bad("lone surrogate in a metadata key", "POST", "/v1/memories", raw=raw_add('{"k\\udfff": 1}'), field="messages.0.metadata", says="surrogate"),
    Bad("lone surrogate in attributes", "PATCH", "/v1/memories/{memory}", raw='{"attributes": {"x": ["\\udbff"]}}', field="attributes", says="surrogate"),
    Bad("lone surrogate in the query", "POST", "/v1/memories/search", raw='{"user_id": "u", "query": "Ana \\ud800"}', field="query"),
    Bad("lone surrogate in a field name", "POST", "/v1/memories", raw='{"user_id\\ud800": "u", "messages": [{"content": "hi"}]}'),
    Bad("escaped surrogate pair", "POST", "/v1/memories", raw='{"user_id": "u", "messages": [{"content": "pizza \\ud83c\\udf55 night"}]}', status=201, check=stored("pizza \U0001f355 night")),
    Bad("RTL marks and override", "POST", "/v1/memories", json=add(msg("\u202eRTL override \u200f mark \u200e text")), status=201, check=stored("\u202eRTL override \u200f mark \u200e text")),
    Bad("RTL marks in user_id", "POST", "/v1/memories", json=add(msg("from a right to left user"), user_id="\u200fuser-rtl\u200e"), status=201, check=stored("from a right to left user", user_id="\u200fuser-rtl\u200e"), user="\u200fuser-rtl\u200e"),
    Bad("emoji", "POST", "/v1/memories", json=add(msg("I love \U0001f355 and \U0001f468\u200d\U0001f469\u200d\U0001f467 evenings")), status=201, check=stored("I love \U0001f355 and \U0001f468\u200d\U0001f469\u200d\U0001f467 evenings")),
    Bad("emoji user_id", "POST", "/v1/memories", json=add(msg("a smiling user"), user_id="\U0001f642user"), status=201, check=stored("a smiling user", user_id="\U0001f642user"), user="\U0001f642user"),
    Bad("combining characters", "POST", "/v1/memories", json=add(msg("cafe\u0301 con leche\u0308")), status=201, check=stored("cafe\u0301 con leche\u0308")),
    Bad("byte order mark", "POST", "/v1/memories", json=add(msg("\ufeffa note with a BOM")), status=201, check=stored("\ufeffa note with a BOM")),
    Bad("search for an emoji", "POST", "/v1/memories/search", json=search("\U0001f355"), status=200, check=answered),
    Bad("search with combining characters", "POST", "/v1/memories/search", json=search("Ana\u0301 Porto\u0308"), status=200, check=answered),
    # -- FTS syntax: a query is words, never a query language -------------------------------
    *[
        Bad(f"FTS syntax {query!r}", "POST", "/v1/memories/search", json=search(query), status=200, check=lexical_found(expect) if expect else answered)
        for query, expect in FTS_SYNTAX
    ],
]
# fmt: on


@dataclass
class Api:
    client: httpx.Client
    memory: str  # a turn of USER
    bounded: str  # a turn of USER valid from 2023-01-01 to 2024-01-01


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    settings = make_settings(
        tmp_path_factory.mktemp("corpus"), auth={"mode": "keys", "rate_per_s": 0}
    )
    box = build(settings)
    _, secret = box.keys.create(NewKey("default", "admin"))
    headers = {"Authorization": f"Bearer {secret}"}
    try:
        with (
            app_server(create_app(container=box)) as url,
            httpx.Client(base_url=url, headers=headers, timeout=60) as client,
        ):
            added = client.post("/v1/memories", json=add(msg(SEEDED), msg("a bounded fact")))
            assert added.status_code == 201, added.text
            memory, bounded = (m["id"] for m in added.json()["memories"])
            validity = {"valid_from": "2023-01-01T00:00:00Z", "valid_to": "2024-01-01T00:00:00Z"}
            assert client.patch(f"/v1/memories/{bounded}", json=validity).status_code == 200
            yield Api(client, memory, bounded)
    finally:
        box.close()


def send(api: Api, bad: Bad) -> httpx.Response:
    path = bad.path.format(memory=api.memory, bounded=api.bounded)
    if bad.name == "10 MB without Content-Length":
        content: Any = chunked_10mb()
    elif bad.raw is not None:
        content = bad.raw
    else:
        content = None
    if content is None:
        return api.client.request(bad.method, path, params=bad.params, json=bad.json)
    headers = {"Content-Type": bad.content_type}
    return api.client.request(bad.method, path, params=bad.params, content=content, headers=headers)


def assert_scope_works(api: Api, user: str) -> None:
    """An add and a search of the user answer 2xx and find what was added; listing answers 200."""
    added = api.client.post(
        "/v1/memories", json={"user_id": user, "messages": [msg("Ana plays the cello on Sundays")]}
    )
    assert added.status_code == 201, added.text
    found = api.client.post(
        "/v1/memories/search", json={"user_id": user, "query": "who plays the cello"}
    )
    assert found.status_code == 200, found.text
    assert "cello" in found.json()["hits"][0]["memory"]["content"]
    listed = api.client.get("/v1/memories", params={"user_id": user, "limit": 500})
    assert listed.status_code == 200, listed.text


@pytest.mark.parametrize("bad", CORPUS, ids=lambda bad: bad.name)
def test_bad_input_gets_a_clear_answer_and_the_scope_still_works(api: Api, bad: Bad) -> None:
    response = send(api, bad)
    assert response.status_code == bad.status, response.text[:1000]
    if response.status_code >= 400:
        error = response.json()["error"]
        assert error["message"] and bad.says in error["message"], error
        if bad.field is not None:
            assert error.get("field") == bad.field, error
    if bad.check is not None:
        assert bad.check(response), response.text[:1000]
    assert_scope_works(api, bad.user)


def test_case_names_are_unique() -> None:
    names = [bad.name for bad in CORPUS]
    assert len(names) == len(set(names))
