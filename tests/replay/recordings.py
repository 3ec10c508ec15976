"""Recorded Azure traffic, read into one shape: vcrpy YAML (Azure CLI tests) and test-proxy JSON (Python SDK tests).

The files in `recordings/` are verbatim copies of the shared reference folder (see recordings/README.md); they
live in the repository so the replay runs anywhere, and `test_replay.py` checks the copies against the shared
folder wherever that folder exists.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

HERE = Path(__file__).parent / "recordings"
SHARED = Path("/work/shared/azure-api/recordings")
_GALLERY_PATH = re.compile(r"/providers/microsoft\.compute/galleries(/|$)", re.IGNORECASE)


@dataclass(frozen=True)
class Exchange:
    """One recorded request and Azure's answer."""

    index: int  # position in the recording file, the stable name of the exchange
    method: str
    url: str  # as recorded (https://management.azure.com/...)
    body: Any  # request body, parsed JSON or None
    status: int
    headers: frozenset[str]  # response header names, lower-cased
    response: Any  # response body, parsed JSON or None

    @property
    def path(self) -> str:
        return urlsplit(self.url).path

    @property
    def is_gallery(self) -> bool:
        """A request to Microsoft.Compute/galleries* (the operation polls live elsewhere and are not included)."""
        return bool(_GALLERY_PATH.search(self.path))

    def label(self) -> str:
        tail = re.sub(r"^.*?/providers/Microsoft\.Compute/", "", self.path, flags=re.IGNORECASE)
        query = urlsplit(self.url).query
        extra = [q for q in query.split("&") if q and not q.lower().startswith(("api-version", "t=", "c=", "s=", "h="))]
        return f"{self.method} {tail}{'?' + '&'.join(extra) if extra else ''}"


def _json(text: Any) -> Any:
    if text is None or text == "":
        return None
    if isinstance(text, (dict, list)):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


def _from_yaml(path: Path) -> list[Exchange]:
    doc = yaml.load(path.read_text("utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    out = []
    for i, item in enumerate(doc["interactions"]):
        req, resp = item["request"], item["response"]
        body = (resp.get("body") or {}).get("string")
        out.append(
            Exchange(
                i,
                req["method"],
                req["uri"],
                _json(req.get("body")),
                int(resp["status"]["code"]),
                frozenset(k.lower() for k in (resp.get("headers") or {})),
                _json(body),
            )
        )
    return out


def _from_test_proxy(path: Path) -> list[Exchange]:
    doc = json.loads(path.read_text("utf-8"))
    return [
        Exchange(
            i,
            e["RequestMethod"],
            e["RequestUri"],
            _json(e.get("RequestBody")),
            int(e["StatusCode"]),
            frozenset(k.lower() for k in (e.get("ResponseHeaders") or {})),
            _json(e.get("ResponseBody")),
        )
        for i, e in enumerate(doc["Entries"])
    ]


@cache
def load(name: str) -> tuple[Exchange, ...]:
    """All exchanges of recording `name` (a path relative to recordings/), in recorded order."""
    path = HERE / name
    return tuple(_from_test_proxy(path) if path.suffix == ".json" else _from_yaml(path))


def names() -> list[str]:
    """Every recording in the folder, as paths relative to it."""
    return sorted(str(p.relative_to(HERE)) for p in HERE.rglob("*") if p.suffix in (".yaml", ".json"))
