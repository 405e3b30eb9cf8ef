"""Inside the rehearsal VM: one election through nginx over HTTPS, as an operator would try it.

``python3 flow.py vote    https://NAME ADMIN_KEY`` imports a small election (voting now), lists
one voter, claims their online token, casts a ballot, closes the election and asks for a count
(queued for the RQ worker), waits until it is done and publishes it; it prints the election id.
``python3 flow.py results https://NAME ID`` checks that the published results are served.
Standard library only: the VM's own python3, not the project's venv, speaks for the operator.
"""

from __future__ import annotations

import json
import ssl
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.error import HTTPError
from urllib.request import Request, urlopen

INSECURE = ssl._create_unverified_context()  # the rehearsal's self-signed certificate (curl -k)


def call(url: str, method: str = "GET", body: Any = None, key: str = "", csv: str = "") -> Any:
    """One request; returns (status, JSON document)."""
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    data = None
    if csv:
        data, headers["Content-Type"] = csv.encode(), "text/csv"
    elif body is not None:
        data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
    try:
        with urlopen(Request(url, data, headers, method=method), context=INSECURE) as answer:
            return answer.status, json.loads(answer.read() or b"null")
    except HTTPError as refusal:
        return refusal.code, json.loads(refusal.read() or b"null")


def expect(status: int, answer: tuple[int, Any], what: str) -> Any:
    print(f"{what}: {answer[0]}", flush=True)
    if answer[0] != status:
        sys.exit(f"{what}: expected {status}, got {answer[0]} {answer[1]}")
    return answer[1]


def vote(base: str, key: str) -> None:
    now = datetime.now(UTC)
    document = {
        "slug": f"rehearsal-{now:%Y%m%d%H%M%S}",
        "name_ko": "리허설 선거",
        "name_en": "Rehearsal election",
        "starts_at": (now - timedelta(hours=1)).isoformat(),
        "ends_at": (now + timedelta(days=1)).isoformat(),
        "phase": "voting",
        "contests": [
            {
                "code": "city",
                "title_ko": "시 전체",
                "budget": 1_000_000,
                "ballot_type": "approval",
                "rule": "greedy",
                "max_selections": 2,
                "agendas": [
                    {"code": "A1", "title_ko": "가로등", "cost": 400_000},
                    {"code": "A2", "title_ko": "도서관", "cost": 300_000},
                ],
            }
        ],
    }
    admin = f"{base}/api/v1/admin/elections"
    election = expect(201, call(f"{admin}/import", "POST", document, key), "import")["id"]
    roll = call(f"{admin}/{election}/voter-roll", "POST", key=key, csv="identifier\nR-1\n")
    expect(200, roll, "voter roll")
    public = f"{base}/api/v1/elections/{election}"
    token = expect(
        201, call(f"{public}/online-tokens/claim", "POST", {"identifier": "R-1"}), "claim"
    )
    ballot = {"token": token["short_code"], "selections": {"city": {"choices": ["A1"]}}}
    expect(201, call(f"{public}/ballots", "POST", ballot), "cast")
    expect(200, call(f"{admin}/{election}/close", "POST", key=key), "close")
    expect(202, call(f"{admin}/{election}/count", "POST", {"force": True}, key), "count queued")
    for _ in range(120):
        status = call(f"{admin}/{election}/count", key=key)[1]["status"]
        if status == "done":
            break
        time.sleep(2)
    print(f"count: {status}", flush=True)
    expect(201, call(f"{admin}/{election}/publish", "POST", key=key), "publish")
    print(f"election {election}")


def results(base: str, election: str) -> None:
    served = expect(200, call(f"{base}/api/v1/elections/{election}/results"), "results")
    print(f"published files: {len(served['files'])}")


if __name__ == "__main__":
    {"vote": vote, "results": results}[sys.argv[1]](*sys.argv[2:])
