"""gunicorn.conf.py: each worker moves what it holds after start-up out of the collector's
reach (a speed device: see the README's table), and there is one worker per core unless
WEB_CONCURRENCY says otherwise; a worker does not load what only exports and the push sender
need."""

from __future__ import annotations

import gc
import os
import runpy
import subprocess
import sys
from pathlib import Path

CONF = Path(__file__).resolve().parents[1] / "gunicorn.conf.py"


def test_a_started_worker_freezes_what_it_holds():
    hooks = runpy.run_path(str(CONF))
    gc.unfreeze()
    try:
        hooks["post_worker_init"](None)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_there_is_one_worker_per_core_by_default(monkeypatch):
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    assert runpy.run_path(str(CONF))["workers"] == len(os.sched_getaffinity(0))


def test_web_concurrency_sets_the_number_of_workers(monkeypatch):
    monkeypatch.setenv("WEB_CONCURRENCY", "5")
    assert runpy.run_path(str(CONF))["workers"] == 5


def test_a_worker_loads_neither_the_workbook_nor_the_http_library():
    # openpyxl (~5 MB of every worker's memory) is imported by the exports when they run;
    # requests (~4 MB) only by the push sender, a process of its own.
    code = (
        "import sys\n"
        "from webapp import create_app\n"
        "create_app({'SQLALCHEMY_DATABASE_URI': 'sqlite://'})\n"
        "print(sorted({'openpyxl', 'requests'} & set(sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[]"
