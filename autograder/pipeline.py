"""The grading pipeline: submissions flow through the stages as plain records.

    Submission -> validate -> Validated -> extract -> Extracted -> run -> Graded -> late -> report

``STAGES`` is that list, and it is what ``grade_student`` runs: each stage is
``stage(record, context) -> record``, where the Context holds what one
student's job shares (the report folder, the late policy, the sandbox's
scratch folder and the student's time budget). ``grade_all`` runs
``grade_student`` for a class, one job per student, in worker processes.
Only records cross between the grader's processes; student code never runs
in them (the run stage's sandbox owns that).

Resume: each submission's folder gets a ``.stamp.json`` last, after its
reports, holding the sha256 of the notebook, a fingerprint of the grader's
source, and what decides a late penalty (the submission time and the policy).
A re-run skips a submission whose stamp still matches and whose results.json
exists, and reads its record back from results.json instead.
"""

import dataclasses
import hashlib
import json
import multiprocessing
import os
import tempfile
from collections import deque
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .atomic import atomic_write_text
from .late import LatePolicy, lateness
from .records import FAULT, Graded
from .reports import submission_folder, write_class_reports, write_submission_reports
from .reports.results import RESULTS, read_graded
from .stages.extract import extract
from .stages.validate import validate

__all__ = ["STAGES", "Context", "run", "late", "report", "grade_student", "grade_all", "grader_fingerprint",
           "notebook_digest", "STAMP", "graded_score", "FAULT"]

STAMP = ".stamp.json"
# A worker is replaced after this many students, so that whatever a job leaves behind
# (memory fragmentation, a leaked handle) cannot accumulate over a large class.
TASKS_PER_WORKER = 50


@dataclass
class Context:
    """What the stages of one student's job share.

    run_stage: what grades an Extracted, ``run_stage(extracted, context) -> Graded``
        (default autograder.stages.run.run: the sandbox and the hidden suites).
    spent: seconds of the student's time budget used so far; the run stage adds to it.
    """

    out: Path
    policy: LatePolicy = dataclasses.field(default_factory=LatePolicy)
    fingerprint: str = ""
    workdir: str | None = None
    run_stage: object = None
    spent: float = 0.0


def run(extracted, context):
    """Stage 3: the sandboxed run and the hidden suites; a grader fault becomes a fault record, never a raise.

    The Graded record takes over the student's cells and answers, for the reports.
    """
    try:
        graded = (context.run_stage or _sandboxed)(extracted, context)
        if graded is None:
            raise RuntimeError("the run stage returned no result for it")
    except Exception as err:
        graded = _fault(extracted.submission, f"{type(err).__name__}: {err}", extracted.problems)
    notes = extracted.submission.notes + extracted.problems   # kept even if the run stage did not pass them on
    return dataclasses.replace(graded, problems=tuple(dict.fromkeys(notes + tuple(graded.problems))),
                               cells=extracted.cells, answers=extracted.answers, notebook_read=extracted.read)


def _sandboxed(extracted, context):
    """autograder.stages.run, imported on first use: it brings pytest, numpy and the sandbox, which the
    parent process of a class run never needs."""
    from .stages.run import run as run_suites

    return run_suites(extracted, context)


def late(graded, context):
    """Stage 4: the late penalty of the context's policy, from the submission's time."""
    if graded.error is not None:
        return graded
    sub = graded.submission
    return dataclasses.replace(graded, late=lateness(context.policy, sub.assignment, sub.timestamp,
                                                     graded.raw_score))


def report(graded, context):
    """Stage 5: the submission's reports, then its stamp (none for a grader fault: the next run retries it)."""
    folder = write_submission_reports(graded, context.out)
    if not (graded.error or "").startswith(FAULT):
        atomic_write_text(folder / STAMP, json.dumps(_stamp(graded.submission, context), indent=2) + "\n")
    return graded


# The order is the data's: a notebook is read before its cells can be found, the cells are found
# before they run, a penalty needs the score, and the reports are written from Graded records only.
STAGES = (validate, extract, run, late, report)


def grade_student(submissions, out, *, run_stage=None, fingerprint=None, policy=None):
    """Grade one student's submissions through STAGES; returns a Graded per submission, in order.

    run_stage: what grades an Extracted (see Context; tests pass a stand-in).
    fingerprint: the grader's fingerprint (default ``grader_fingerprint()``).
    policy: the late-penalty policy (default: none, nothing is late).
    """
    context = Context(Path(out), policy or LatePolicy(), fingerprint or grader_fingerprint(), run_stage=run_stage)
    graded = []
    with tempfile.TemporaryDirectory(prefix="autograder-") as workdir:
        context.workdir = workdir
        for sub in submissions:
            record = _resumed(sub, context)
            if record is None:
                record = sub
                for stage in STAGES:
                    record = stage(record, context)
            graded.append(record)
    return graded


def grade_all(submissions, out, workers=None, progress=None, *, run_stage=None, fingerprint=None, policy=None,
              summary=True):
    """Grade a class, one job per student; write every report; returns a Graded per submission, in order.

    workers: worker processes (default: one per CPU); 0 grades in this process
        (no isolation from a crashing job: for debugging).
    progress: called with the number of submissions each finished job covered.
    policy: the late-penalty policy (autograder.late.LatePolicy; default none).
    summary: write the class summary (summary.md and summary.png) beside grades.csv.

    The records returned are summaries: test outputs are left out (they are in
    the reports), so the parent's memory stays small whatever the class size.
    A job that crashes or raises becomes an error for that student's
    submissions, and the others go on.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    fingerprint = fingerprint or grader_fingerprint()
    jobs = {}
    for sub in submissions:
        jobs.setdefault(sub.student, []).append(sub)
    results = {}

    def finished(subs, graded):
        results.update(((g.submission.student, g.submission.assignment), g) for g in graded)
        if progress is not None:
            progress(len(subs))

    args = (out, run_stage, fingerprint, policy)
    if workers == 0:
        for subs in jobs.values():
            try:
                graded = _job(subs, *args)
            except Exception as err:
                graded = _write_faults(subs, out, f"{type(err).__name__}: {err}")
            finished(subs, graded)
    else:
        _in_workers(list(jobs.values()), args, workers or _cpus(), finished)
    write_class_reports(out, summary=summary)
    return [results[(s.student, s.assignment)] for s in submissions]


def graded_score(graded):
    """The score a report shows: 0 for a notebook that could not be graded."""
    return graded.scores.final


def notebook_digest(path):
    """sha256 of the notebook's bytes; for a folder (none or several notebooks) or a missing file, a marker."""
    path = Path(path)
    if path.is_file():
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        return h.hexdigest()
    if path.is_dir():
        return "folder:" + ",".join(sorted(p.name for p in path.glob("*.ipynb")))
    return "missing"


@lru_cache(maxsize=1)
def grader_fingerprint():
    """sha256 over the source files of autograder/ and course_lib/: changing the grader regrades everyone."""
    import course_lib

    h = hashlib.sha256()
    for package in (Path(__file__).resolve().parent, Path(course_lib.__file__).resolve().parent):
        for path in sorted(package.rglob("*")):
            rel = path.relative_to(package)
            if (not path.is_file() or path.suffix in (".pyc", ".pyo", ".tmp")
                    or any(part.startswith(".") or part == "__pycache__" for part in rel.parts)):
                continue
            h.update(f"{package.name}/{rel.as_posix()}\0".encode())
            h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def _stamp(sub, context):
    return {"notebook_sha256": notebook_digest(sub.path), "grader": context.fingerprint,
            "late": [sub.timestamp, context.policy.key(sub.assignment)], "notes": list(sub.notes)}


def _resumed(sub, context):
    """The record of an up-to-date submission, read back from its results.json, or None."""
    folder = submission_folder(context.out, sub)
    try:
        if json.loads((folder / STAMP).read_text(encoding="utf-8")) != _stamp(sub, context):
            return None
        return dataclasses.replace(read_graded(folder / RESULTS, sub), resumed=True)
    except (OSError, ValueError, TypeError, KeyError):
        return None


def _fault(submission, reason, problems=()):
    return Graded(submission, error=f"{FAULT} (Internal error: {str(reason)[:300]})", problems=tuple(problems))


def _write_faults(subs, out, reason):
    """Error records for a job that died, with their reports (no stamps: the next run retries them)."""
    graded = [_fault(sub, reason) for sub in subs]
    for g in graded:
        try:
            write_submission_reports(g, out)
        except OSError:
            pass
    return [_slim(g) for g in graded]


def _job(subs, out, run_stage, fingerprint, policy):
    """One worker job: a student's submissions, graded and reported; summaries are sent back."""
    return [_slim(g) for g in grade_student(subs, out, run_stage=run_stage, fingerprint=fingerprint, policy=policy)]


def _slim(graded):
    return dataclasses.replace(graded, outcomes=tuple(dataclasses.replace(o, output="") for o in graded.outcomes),
                               cells={}, answers=())


def _cpus():
    try:
        return len(os.sched_getaffinity(0))   # the CPUs this process may use (a container's share)
    except AttributeError:
        return os.cpu_count() or 1


def _worker_context():
    """Workers are never forked from the parent, so they inherit none of its state.

    forkserver where the OS has it: a clean server process imports the grader
    once, and every worker (the replacements after TASKS_PER_WORKER jobs and
    after a crash included) is forked from it in milliseconds instead of
    importing everything again. Elsewhere, spawn.
    """
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["autograder.pipeline", "autograder.stages.run"])
        return context
    return multiprocessing.get_context("spawn")


def _in_workers(jobs, args, workers, finished):
    """Run the jobs in a pool of ``workers`` processes, at most 2 x workers in flight.

    When a job kills its worker, the pool breaks and every job in flight fails
    with it. Those jobs are run again one at a time, each in a pool of its
    own, so only the job that crashes on its own is reported as a crash; the
    queue then goes on in a fresh pool.
    """
    context = _worker_context()
    queue = deque(jobs)
    while queue:
        suspects = []
        pool = ProcessPoolExecutor(workers, mp_context=context, max_tasks_per_child=TASKS_PER_WORKER)
        try:
            inflight, broken = {}, False
            while inflight or (queue and not broken):
                while queue and not broken and len(inflight) < 2 * workers:
                    subs = queue.popleft()
                    inflight[pool.submit(_job, subs, *args)] = subs
                done, _ = wait(inflight, return_when=FIRST_COMPLETED)
                for future in done:
                    subs = inflight.pop(future)
                    try:
                        finished(subs, future.result())
                    except BrokenProcessPool:
                        broken = True
                        suspects.append(subs)
                    except Exception as err:
                        finished(subs, _write_faults(subs, args[0], f"{type(err).__name__}: {err}"))
        except BaseException:   # Ctrl-C: do not wait for the queue; finished reports stay valid
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown(wait=True)
        for subs in suspects:
            with ProcessPoolExecutor(1, mp_context=context) as alone:
                try:
                    finished(subs, alone.submit(_job, subs, *args).result())
                except BrokenProcessPool:
                    finished(subs, _write_faults(subs, args[0], "the grading process died"))
                except Exception as err:
                    finished(subs, _write_faults(subs, args[0], f"{type(err).__name__}: {err}"))
