"""One registry of job entry points (peerwork/jobs.py), enqueued by reference."""

from __future__ import annotations

import ast
from pathlib import Path

from peerwork import jobs
from peerwork.queue import entry_point
from peerwork.worker import periodic_jobs

ROOT = Path(__file__).resolve().parent.parent / "peerwork"


def _enqueue_calls():
    for path in sorted(ROOT.rglob("*.py")):
        if path.name == "queue.py":
            continue  # the Dispatcher itself, handing RQ the entry point's path
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "enqueue"
                and node.args
            ):
                yield path.relative_to(ROOT.parent), node


def test_jobs_are_enqueued_by_reference_never_by_a_dotted_name():
    named = [
        f"{path}:{node.lineno}"
        for path, node in _enqueue_calls()
        if isinstance(node.args[0], ast.Constant)
    ]
    assert named == []


def test_every_enqueued_function_has_its_same_named_entry_point():
    enqueued = {ast.unparse(node.args[0]).rpartition(".")[2] for _, node in _enqueue_calls()}
    assert enqueued  # the walk found the call sites
    missing = sorted(name for name in enqueued if not callable(getattr(jobs, name, None)))
    assert missing == []
    for domain_function, job in jobs.ENTRY_POINTS.items():
        assert entry_point(domain_function) == f"peerwork.jobs.{job.__name__}"
        assert getattr(jobs, domain_function.__name__) is job


def test_periodic_jobs_come_from_the_registry():
    assert periodic_jobs() == jobs.PERIODIC
    for func, seconds, queue in jobs.PERIODIC:
        assert getattr(jobs, func.__name__) is func and seconds > 0 and queue
