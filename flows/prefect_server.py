"""gongkai's Prefect server: Prefect's own server and UI, with two additions. `gongkai up` starts it on SQLite;
compose runs it on Postgres.

**Writes that wait.** Prefect begins most SQLite transactions DEFERRED: one that reads first and writes later
cannot wait for another writer's lock and fails at once with "database is locked" — the API answers 503, and a
reviewer's Resume in the UI is refused (measured under a burst: tests/flows/test_burst.py). Begun IMMEDIATE,
the transaction takes the write lock at its start and waits for it (Prefect sets SQLite's busy timeout to 60 s),
so concurrent writes queue instead of failing. Prefect's own comment on its SQLite configuration names this as
the remedy; it is applied here to the transactions Prefect leaves DEFERRED. Postgres is not touched.

**Who resumed.** Prefect records no sender for a resumed run. `SubmittedBy` puts one into the submitted review
form, as `submitted_by`: the user a reverse proxy in front names in `GONGKAI_REVIEWER_HEADER` (its single sign-on),
and the client's address. Whatever the client itself sent under that name is replaced.

    python -m gongkai.flows.prefect_server --port 4200
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import AsyncGenerator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]]

_RESUME = re.compile(r"/api/flow_runs/[0-9a-fA-F-]{36}/resume")


class SubmittedBy:
    """ASGI middleware: on `POST /api/flow_runs/<id>/resume`, sets `run_input.submitted_by` to
    {"user": <the trusted header's value or None>, "header": <its name or None>, "address": <client address>}."""

    def __init__(self, app: ASGIApp, user_header: str | None) -> None:
        self.app = app
        self.user_header = user_header.lower().encode("latin-1") if user_header else None
        self.header_name = user_header

    async def __call__(self, scope: Scope, receive: Callable[[], Awaitable[Message]],
                      send: Callable[[Message], Awaitable[None]]) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or not _RESUME.fullmatch(scope["path"]):
            await self.app(scope, receive, send)
            return
        body, more = b"", True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        body = self._with_sender(scope, body)
        headers = [(name, value) for name, value in scope["headers"] if name != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()  # the client's disconnect, if it comes
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app({**scope, "headers": headers}, replay, send)

    def _with_sender(self, scope: Scope, body: bytes) -> bytes:
        try:
            payload = json.loads(body or b"{}")
        except ValueError:
            return body  # Prefect answers it with its own error
        if not isinstance(payload, dict) or not isinstance(payload.get("run_input"), dict):
            return body
        user = next((value.decode("latin-1") for name, value in scope["headers"] if name == self.user_header), None)
        client = scope.get("client")
        payload["run_input"]["submitted_by"] = {"user": user or None, "header": self.header_name if user else None,
                                                "address": client[0] if client else None}
        return json.dumps(payload).encode()


def serve(host: str, port: int, user_header: str | None) -> None:
    import uvicorn
    from prefect.server.api.server import create_app
    from prefect.server.database import configurations

    @asynccontextmanager
    async def begin_immediately(self: Any, session: Any, with_for_update: bool = False) -> AsyncGenerator[Any, None]:
        token = configurations.SQLITE_BEGIN_MODE.set("IMMEDIATE")
        try:
            async with session.begin() as transaction:
                yield transaction
        finally:
            configurations.SQLITE_BEGIN_MODE.reset(token)

    configurations.AioSqliteConfiguration.begin_transaction = begin_immediately  # type: ignore[method-assign]
    uvicorn.run(SubmittedBy(create_app(final=True), user_header), host=host, port=port, log_level="warning",
                timeout_keep_alive=5)


def main() -> None:
    from gongkai.settings import Settings

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    serve(args.host, args.port, Settings().reviewer_header)


if __name__ == "__main__":
    main()
