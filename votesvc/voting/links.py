"""Addresses of an election's citizen pages, built from the service's public address.

Pure (no Flask): printed sheets, the demo's output and the pages build the same links here.
A voting link carries the signed token after ``#``: browsers never send the fragment, so the
token stays out of server and proxy logs and out of ``Referer`` headers.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlsplit


@dataclass(frozen=True, slots=True)
class VotingPage:
    """Where one election's voters go: ``public_url`` (``VOTESVC_PUBLIC_URL``, no trailing
    slash) and the election's id."""

    public_url: str
    election_id: int

    @property
    def election_url(self) -> str:
        return f"{self.public_url}/elections/{self.election_id}"

    @property
    def vote_url(self) -> str:
        return f"{self.election_url}/vote"

    def link(self, signed: str) -> str:
        """The voting page with the token after ``#code=`` (quoted, though tokens need none)."""
        return f"{self.vote_url}#code={quote(signed, safe='')}"

    @property
    def short_address(self) -> str:
        """The address to type, in words: host (and any path prefix) then ``/e/<id>``, without
        the scheme, which browsers add themselves."""
        parts = urlsplit(self.public_url)
        return f"{parts.netloc}{parts.path.rstrip('/')}/e/{self.election_id}"
