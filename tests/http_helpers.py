"""Driving a served memsvc over plain HTTP in tests: jobs started and waited for (every
wait bounded in time), and every unit of a user listed page by page."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

DONE = ("succeeded", "failed", "cancelled")


def wait_for(what: str, check: Callable[[], Any], timeout: float = 30.0) -> Any:
    """Poll `check` until it returns something truthy; fail the test after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def start_job(client: httpx.Client, kind: str, user_id: str, **params: Any) -> str:
    body = {"kind": kind, "user_id": user_id, "params": params}
    response = client.post("/v1/jobs", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def wait_progress(client: httpx.Client, job_id: str, at_least: float) -> dict[str, Any]:
    """The job once it is running with progress >= `at_least` (it must not finish first)."""

    def check() -> dict[str, Any] | None:
        job = client.get(f"/v1/jobs/{job_id}").json()
        assert job["status"] not in DONE, f"the job finished before the kill: {job}"
        return job if job["progress"] >= at_least else None

    return wait_for(f"job {job_id} at {at_least:.0%}", check)  # type: ignore[no-any-return]


def wait_finished(client: httpx.Client, job_id: str, timeout: float = 90.0) -> dict[str, Any]:
    def check() -> dict[str, Any] | None:
        job = client.get(f"/v1/jobs/{job_id}").json()
        return job if job["status"] in DONE else None

    return wait_for(f"job {job_id} to finish", check, timeout)  # type: ignore[no-any-return]


def all_units(client: httpx.Client, user_id: str) -> list[dict[str, Any]]:
    """Every unit of a user in any status, through the list API, page by page."""
    units: list[dict[str, Any]] = []
    params: dict[str, Any] = {"user_id": user_id, "limit": 500}
    params["statuses"] = ["active", "superseded", "archived", "deleted"]
    while True:
        page = client.get("/v1/memories", params=params)
        assert page.status_code == 200, page.text
        units += page.json()["items"]
        if not page.json().get("next_cursor"):
            return units
        params["cursor"] = page.json()["next_cursor"]


def run_job(client: httpx.Client, kind: str, user_id: str, **params: Any) -> dict[str, Any]:
    """Start a job and wait until it has succeeded."""
    job = wait_finished(client, start_job(client, kind, user_id, **params))
    assert job["status"] == "succeeded", job
    return job
