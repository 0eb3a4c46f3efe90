"""The local Prefect server `gongkai up` starts on the embedded default (SQLite): Prefect's own server and UI,
with every write transaction begun IMMEDIATE.

Prefect begins most SQLite transactions DEFERRED: one that reads first and writes later cannot wait for
another writer's lock and fails at once with "database is locked" — the API answers 503, and a
reviewer's Resume in the UI is refused (measured under a burst: tests/flows/test_burst.py). Begun
IMMEDIATE, the transaction takes the write lock at its start and waits for it (Prefect sets SQLite's
busy timeout to 60 s), so concurrent writes queue instead of failing. Prefect's own comment on its
SQLite configuration names this as the remedy; it is applied here to the transactions Prefect leaves
DEFERRED. Reads outside transactions are unchanged. Compose runs Postgres and `prefect server start`.

    python -m gongkai.flows.local_server --port 4200
"""

from __future__ import annotations

import argparse
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import Any


def serve(host: str, port: int) -> None:
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
    uvicorn.run(create_app(final=True), host=host, port=port, log_level="warning", timeout_keep_alive=5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    serve(args.host, args.port)


if __name__ == "__main__":
    main()
