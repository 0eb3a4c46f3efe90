"""With local storage, `up` serves the snapshots under review read-only on 127.0.0.1, so the review page's
link opens the original in the browser (a file:// link from an http page does not; S3 storage gives
presigned links instead).

Only one shape of request is answered: GET or HEAD of /staging/<sha256>/original.<extension>, exactly as
written — no query, no fragment, no percent-encoding, no dot segments — naming a regular file reached
without any symbolic link. Everything else of the private bucket, and every folder, is a 404.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from gongkai.publishing.layout import CONTENT_TYPES
from gongkai.settings import Settings
from gongkai.storage import LocalStore, open_storage

_SNAPSHOT = re.compile(r"/(staging/[0-9a-f]{64}/original\.(?P<extension>[a-z0-9]{1,5}))")


def serve_review_files(settings: Settings) -> ThreadingHTTPServer:
    private = open_storage(settings).private
    if not isinstance(private, LocalStore):
        raise TypeError("review files are served only for local storage; S3 gives presigned links")
    root = private.root

    class Snapshots(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            self._answer(with_body=True)

        def do_HEAD(self) -> None:  # noqa: N802
            self._answer(with_body=False)

        def _answer(self, with_body: bool) -> None:
            wanted = _SNAPSHOT.fullmatch(self.path)  # the raw request target, not a decoded or normalised one
            opened = _open_regular(root, wanted.group(1)) if wanted else None
            if opened is None:
                self.send_error(404)
                return
            with opened as stream:
                self.send_response(200)
                self.send_header("Content-Type", CONTENT_TYPES.get(wanted.group("extension"),
                                                                   "application/octet-stream"))
                self.send_header("Content-Length", str(os.fstat(stream.fileno()).st_size))
                self.send_header("X-Content-Type-Options", "nosniff")
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                if with_body:
                    shutil.copyfileobj(stream, self.wfile)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
            pass  # requests are not worth a line each in up's output

    server = ThreadingHTTPServer(("127.0.0.1", settings.review_files_port), Snapshots)
    threading.Thread(target=server.serve_forever, name="review-files", daemon=True).start()
    return server


def _open_regular(root: Path, key: str) -> Any:
    """The file behind `key`, opened, if it is a regular file whose path holds no symbolic link; else None."""
    path = root / key
    if os.path.realpath(path) != str(path):
        return None
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    stream = os.fdopen(descriptor, "rb")
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        stream.close()
        return None
    return stream
