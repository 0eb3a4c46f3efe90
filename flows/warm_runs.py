"""What every flow-run process needs, imported and warmed once in the fork server `up` starts for them
(flows/serve.py: use_warm_processes): the flows, the readers of the common formats, and the tables the
check builds on first use (the normalisation table, this year's and next year's working days). Each run
is a fork of that process, so it starts with all of it in memory instead of building it again.

Imported only by that fork server, never by gongkai itself.
"""

from __future__ import annotations

import encodings.idna  # noqa: F401 - a run's first connection (like those below: imported on first use, py-spy)
from datetime import date

import anyio._backends._asyncio  # noqa: F401 - the HTTP client's first event
import prefect._internal.observers  # noqa: F401 - suspending for review
import prefect.task_engine  # noqa: F401 - Prefect imports these at a run's first task
import prefect.utilities.visualization  # noqa: F401
import rich._emoji_codes  # noqa: F401 - the first log line

import gongkai.extractors.docx  # noqa: F401 - the reader most drafts need
import gongkai.extractors.pdf  # noqa: F401
import gongkai.flows.document  # noqa: F401 - the review flow
import gongkai.flows.retrain  # noqa: F401
from gongkai.document.check import warm_up
from gongkai.document.workdays import PUBLISH_PROACTIVE, deadline


def _warm() -> None:
    warm_up()  # the readers, in this process: each run's bounded checks fork from it warm
    # checking "today" against a document signed in 2004 counts every year's working days since then
    working_days_left = deadline(PUBLISH_PROACTIVE, date(2004, 1, 5)).working_days_left
    working_days_left(date(date.today().year + 1, 12, 31))


_warm()
