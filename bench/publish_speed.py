"""Publishing speed: N approvals published in parallel, then `pull` of the public bucket, twice.

Runs against the local folder backend and, with --s3, against moto's S3 server on loopback (started
here, as the tests do). Prints wall time of the parallel publishes, the catalogue's entry count and
distinct 索引号, and the first (full) and second (nothing to transfer) pull.

    .venv/bin/python bench/publish_speed.py [--count 20] [--workers 20] [--s3]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

from gongkai.catalogue import load_catalogue
from gongkai.document.check import check_bytes
from gongkai.intake import Inbox
from gongkai.outcomes import Decision, publish
from gongkai.publishing.layout import INDEX_KEY
from gongkai.publishing.mirror import pull
from gongkai.settings import Settings
from gongkai.storage import get_json, open_storage

BODY = "为进一步规范城乡最低生活保障工作，切实保障困难群众基本生活，现就有关事项通知如下。" * 20


def lines(number: int) -> list[str]:
    return ["广东省民政厅文件", f"粤民发〔2026〕{number}号", f"广东省民政厅关于第{number}批低保资金的通知", "各地级以上市民政局：",
            BODY, "一、资金安排", "按月发放。", "广东省民政厅", "2026年3月5日", "（此件主动公开）"]


def run(settings: Settings, count: int, workers: int, folder: Path) -> None:
    storage, catalogue = open_storage(settings), load_catalogue()
    approve = Decision("publish", "主动公开", "social_assistance", "", "", "bench")
    inbox = Inbox(folder / "inbox", folder / "processing", 0, 1 << 30)
    jobs = []
    for number in range(count):
        data = "\n".join(lines(number + 1)).encode()
        path = folder / "inbox" / f"doc{number}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        claim = inbox.claim(path, storage)
        jobs.append((claim, check_bytes(data, path.name, claim.extension, date(2026, 3, 6))))
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(lambda job: publish(storage, *job, approve, catalogue), jobs))
    publish_s = time.perf_counter() - started
    index = get_json(storage.public, INDEX_KEY)
    numbers = {entry["index_no"] for entry in index["items"]}
    started = time.perf_counter()
    first = pull(storage.public, folder / "mirror")
    first_s = time.perf_counter() - started
    started = time.perf_counter()
    second = pull(storage.public, folder / "mirror")
    second_s = time.perf_counter() - started
    print(f"{settings.storage}: {count} publishes with {workers} threads in {publish_s:.2f} s; catalogue entries "
          f"{len(index['items'])}, distinct 索引号 {len(numbers)}; pull {first.transferred} objects in {first_s:.2f} s, "
          f"again: {second.transferred} transferred / {second.unchanged} unchanged in {second_s:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--workers", type=int, default=20)
    parser.add_argument("--s3", action="store_true", help="also against moto's S3 server")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        root = Path(temporary)
        (root / "local").mkdir()
        run(Settings(storage="local", data_dir=root / "local"), args.count, args.workers, root / "local")
        if args.s3:
            sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
            from tests.conftest import free_port, wait_for_http

            port = free_port()
            server = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                wait_for_http(f"http://127.0.0.1:{port}/moto-api/", server)
                (root / "s3").mkdir()
                run(Settings(storage="s3", s3_endpoint=f"127.0.0.1:{port}", s3_access_key="testing",
                             s3_secret_key="testing", s3_region="us-east-1", public_bucket="bench-pub",
                             private_bucket="bench-priv", data_dir=root / "s3"),
                    args.count, args.workers, root / "s3")
            finally:
                server.terminate()
                server.wait(timeout=10)


if __name__ == "__main__":
    main()
