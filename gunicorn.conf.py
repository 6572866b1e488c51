"""gunicorn settings read from the project folder (production and bench/load.py alike).

Command-line options override these: `gunicorn -w 4 -b 0.0.0.0:8000 "webapp:create_app()"`.
"""

from __future__ import annotations

import gc
import os
from typing import Any


def cores() -> int:
    """The cores this process may run on (a container's or taskset's CPU set, not the host's
    count, where the system says so)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


# One sync worker per core. The app's requests are CPU work (templates, SQLAlchemy) with short
# waits on a database that, in a showroom or a small group, runs on the same machine: more
# workers than cores add no throughput, and the operating system slicing them over the cores
# cost each page about a fifth more CPU in bench/load.py (8 clients on 2 cores: 4 workers
# against 2). With PostgreSQL on another machine a worker waits on the network for every
# statement; raise the count there with WEB_CONCURRENCY or `-w`.
workers = int(os.environ.get("WEB_CONCURRENCY") or cores())

# Once a worker has loaded the app, everything it holds (modules, models, compiled templates,
# SQLAlchemy's statement cache) lives as long as the worker. Moving it out of the garbage
# collector's reach makes the collections that requests trigger scan only what requests
# allocate: less CPU per page and a shorter tail (Python's gc.freeze, as Instagram runs it).


def post_worker_init(worker: Any) -> None:
    gc.collect()
    gc.freeze()
