"""A small memory for the inspector's browser test: two sessions of one user (with facts,
entities and relations extracted), one of another user and agent, and a finished compress job."""

from __future__ import annotations

import time

import httpx

ALICE = {
    "s1": [
        ("user", "My sister Ana lives in Porto and works as a nurse", "2024-01-05T10:00:00Z"),
        ("assistant", "Porto is beautiful in spring", "2024-01-05T10:01:00Z"),
        ("user", "I adopted a dog called Biscuit last week", "2024-01-05T10:02:00Z"),
    ],
    "s2": [
        ("user", "Ana moved to Lisbon for a new job at the hospital", "2024-03-10T09:00:00Z"),
        ("user", "I love hiking in the mountains with Biscuit", "2024-03-10T09:01:00Z"),
        ("assistant", "Hiking with a dog sounds lovely", "2024-03-10T09:02:00Z"),
    ],
}


def seed(api: httpx.Client) -> dict:
    """Write the memory through the API; returns the finished compress job."""
    for session, turns in ALICE.items():
        messages = [{"role": r, "content": c, "occurred_at": t} for r, c, t in turns]
        body = {"user_id": "alice", "session_id": session, "extract": "sync", "messages": messages}
        assert api.post("/v1/memories", json=body).status_code == 201
    other = {"user_id": "bob", "agent_id": "helper", "messages": [{"content": "Water the plants"}]}
    assert api.post("/v1/memories", json=other).status_code == 201
    job = api.post("/v1/jobs", json={"kind": "compress", "user_id": "alice"}).json()
    return wait_for(api, job["id"])


def wait_for(api: httpx.Client, job_id: str, timeout: float = 30.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = api.get(f"/v1/jobs/{job_id}").json()
        if job["status"] in ("succeeded", "failed", "cancelled"):
            assert job["status"] == "succeeded", job
            return job
        time.sleep(0.05)
    raise TimeoutError(f"job {job_id} did not finish")
