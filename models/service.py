"""One model per host: the suggestion service that `gongkai up` starts beside the Prefect server.

The encoder (~0.9 GB, ~10 s to load on 2 cores) is loaded once, by this long-lived process, and serves
every document: flow runs send the masked text over HTTP on 127.0.0.1 and never import torch or
transformers (gongkai.models.client). Documents that arrive while the model is busy are embedded
together, in one batch. The promoted version is looked up before every batch, so a retraining that
promotes a new version is used from the next document on; without a promoted model the service answers
"no suggestion" and loads nothing.

    python -m gongkai.models.service            # what `gongkai up` runs (port: GONGKAI_MODEL_PORT)
"""

from __future__ import annotations

import json
import queue
import sys
import threading
from concurrent.futures import Future
from dataclasses import asdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from gongkai.document.elements import parse_elements
from gongkai.document.pii import PersonalData
from gongkai.models.client import HEALTH_PATH, SUGGEST_PATH, SuggestionRequest
from gongkai.models.store import ModelStore
from gongkai.models.suggest import Suggester, load_suggester
from gongkai.settings import Settings

MAX_BATCH = 8  # documents embedded in one go when several wait
_MAX_REQUEST_BYTES = 8 * 1024 * 1024


class SuggestionService:
    """The promoted model version, swapped for a newly promoted one before the next batch."""

    def __init__(self, settings: Settings) -> None:
        from gongkai.catalogue import load_catalogue
        from gongkai.models.encoder import EncoderChoice

        self._store = ModelStore(settings.model_dir)
        self._catalogue = load_catalogue(settings.catalogue)
        self._choice = EncoderChoice.from_settings(settings)
        self._suggester: Suggester | None = None
        self._loading = threading.Lock()

    def current(self) -> Suggester | None:
        version = self._store.promoted_version()
        if version is None:
            return None
        with self._loading:
            if self._suggester is None or self._suggester.version != version:
                self._suggester = load_suggester(self._store, self._catalogue, self._choice)
            return self._suggester

    def suggest(self, requests: list[SuggestionRequest]) -> list[dict[str, Any]]:
        suggester = self.current()
        if suggester is None:
            return [{"suggestion": None, "learned": []} for _ in requests]
        documents = []
        for request in requests:
            elements = parse_elements(request.text)
            elements.secrecy = elements.secrecy or request.secrecy
            documents.append((request.text, elements, [PersonalData(kind, "", 0, 0) for kind in request.personal_data]))
        learned = suggester.category_head.classes if suggester.category_head else []
        return [{"suggestion": asdict(suggestion), "learned": learned} for suggestion in suggester.suggest_many(documents)]


def serve(settings: Settings, port: int) -> ThreadingHTTPServer:
    """Answer POST /suggest on 127.0.0.1:`port`; one worker thread runs the model, batching what waits."""
    service = SuggestionService(settings)
    waiting: queue.Queue[tuple[SuggestionRequest, Future[dict[str, Any]]]] = queue.Queue()

    def work() -> None:
        while True:
            batch = [waiting.get()]
            while len(batch) < MAX_BATCH:
                try:
                    batch.append(waiting.get_nowait())
                except queue.Empty:
                    break
            try:
                for (_, future), answer in zip(batch, service.suggest([request for request, _ in batch])):
                    future.set_result(answer)
            except Exception as error:  # the model failed on this batch: each caller hears why
                for _, future in batch:
                    future.set_exception(error)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            if self.path != HEALTH_PATH:
                self._reply(404, {"error": "not found"})
                return
            self._reply(200, {"status": "ok", "version": service._store.promoted_version()})

        def do_POST(self) -> None:  # noqa: N802
            if self.path != SUGGEST_PATH:
                self._reply(404, {"error": "not found"})
                return
            try:
                length = int(self.headers.get("Content-Length", "0"))
                if not 0 < length <= _MAX_REQUEST_BYTES:
                    raise ValueError(f"request of {length} bytes")
                body = json.loads(self.rfile.read(length))
                request = SuggestionRequest(str(body["text"]), body.get("secrecy"), [str(kind) for kind in
                                                                                    body.get("personal_data", [])])
            except (ValueError, KeyError, TypeError) as error:
                self._reply(400, {"error": f"bad request: {error}"})
                return
            future: Future[dict[str, Any]] = Future()
            waiting.put((request, future))
            try:
                self._reply(200, future.result())
            except Exception as error:
                self._reply(500, {"error": f"{type(error).__name__}: {error}"})

        def _reply(self, status: int, answer: dict[str, Any]) -> None:
            data = json.dumps(answer, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
            pass

    threading.Thread(target=work, name="suggestion-model", daemon=True).start()
    # load the promoted model now, so the first document does not wait for it
    threading.Thread(target=service.current, name="suggestion-model-load", daemon=True).start()
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    return server


def main() -> int:
    settings = Settings()
    server = serve(settings, settings.model_port)
    print(f"gongkai: 模型服务 suggestion model on 127.0.0.1:{settings.model_port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
