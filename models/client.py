"""The flow run's side of the suggestion service (gongkai.models.service): the masked text goes to the
model `gongkai up` holds, over HTTP on 127.0.0.1, and a suggestion comes back. Nothing heavy is imported
here — a flow-run process never loads torch, transformers or numpy."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass

from gongkai.document.check import DocumentCheck, Suggestion

SUGGEST_PATH = "/suggest"
HEALTH_PATH = "/health"
_ATTEMPTS = 5  # the service may be starting (up just started) or busy loading a newly promoted version
_TIMEOUT_SECONDS = 120  # a batch of long documents on 2 busy cores


@dataclass(frozen=True)
class SuggestionRequest:
    """What the model needs of a checked document: its masked body text, a secrecy marking found anywhere
    in the file (the body alone may not show it), and the kinds of personal data found anywhere."""

    text: str
    secrecy: str | None
    personal_data: list[str]


def answers(health_url: str) -> bool:
    try:
        with urllib.request.urlopen(health_url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def service_url(port: int) -> str:
    """Where `gongkai up` serves the host's model (GONGKAI_MODEL_PORT)."""
    return f"http://127.0.0.1:{port}"


class ModelUnavailable(Exception):
    """The suggestion service did not answer: the review goes on without a suggestion."""


def remote_suggestion(url: str, check: DocumentCheck) -> tuple[Suggestion | None, list[str]]:
    """(the suggestion or None without a promoted model, the categories the model learned). Retries a
    service that is starting or restarting with backoff; raises ModelUnavailable when it never answers."""
    body = json.dumps(asdict(SuggestionRequest(check.text, check.elements.secrecy,
                                               sorted({item.kind for item in check.personal_data})))).encode()
    request = urllib.request.Request(f"{url}{SUGGEST_PATH}", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    attempt = 0
    while True:
        try:
            with urllib.request.urlopen(request, timeout=_TIMEOUT_SECONDS) as response:
                answer = json.loads(response.read())
            break
        except (urllib.error.URLError, ConnectionError, TimeoutError) as error:
            attempt += 1
            if attempt == _ATTEMPTS:
                raise ModelUnavailable(f"模型服务 {url} 无响应 / the suggestion service at {url} did not answer: "
                                       f"{error}") from error
            time.sleep(2 ** attempt)
    suggestion = answer["suggestion"]
    return (Suggestion(**suggestion) if suggestion else None), answer["learned"]
