"""Our grader against `nbgrader autograde` on the same synthetic class: speed, verdicts, memory.

The class (bench/_class.py): N students taking the example kinds CORRECT, BUGGY
and PARTIAL in turn, seven notebooks each. Our grader runs as
`python -m autograder grade SUBMITTED --out OUT --workers 2 --quiet`;
nbgrader runs `nbgrader autograde <assignment> --force` for each assignment of
a throwaway course in /tmp/bench_nbg whose check cells carry in-kernel hidden
tests (a subset of our hidden suites) and whose notebooks hold nothing but
exercise and check cells: nbgrader at its fastest. Both are timed in the
same run, in alternation when --rounds > 1, and medians are reported.

Verdicts: per (student, exercise), full marks on nbgrader's check cell
against every test of that exercise passed in our results.json.

Targets (issue 15, item 1): ours grades at least 20x the submissions per second
of nbgrader, takes at most 0.5 s of wall time per seven-notebook submission with
2 workers, and a fresh process answers its first submission within 1.5 s of the
command's start. That last one is Gradescope's case, one notebook per container:
its run_autograder's command (`grade NOTEBOOK --assignment A --workers 0
--no-summary`) is timed on each assignment's notebook of a correct student,
beside `python -c "import numpy"` as the floor of any Python process here.

    python bench/grader_speed.py [--students 20] [--rounds 1]
    python bench/grader_speed.py --memory [--sizes 10 200]   (item 7: flat from 10 to 500 with --sizes 10 500)
    python bench/grader_speed.py --sandbox [--rounds 5]

--sandbox measures the cost of the OS isolation alone: per student (start a
sandbox and load six exercise cells) and per call (a batchnorm_forward on a
64 x 16 batch, arguments and answer across the boundary), in each isolation
mode this machine allows, against the unconfined child (--isolation none)
measured in the same run, modes in alternation, medians of the rounds.

--memory runs our grader alone and reports peak RSS: of its parent process
and of its whole process tree exactly (resource.getrusage in a wrapper
process), and of each forkserver, worker and sandbox child as its VmHWM,
read from /proc every 50 ms (psutil finds the processes).
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from course_lib.exercises import ASSIGNMENTS, EXERCISES

from _class import KINDS, check_key, check_keys, make_nbgrader_course, nbgrader, roster, write_class

NBG = Path("/tmp/bench_nbg")
OURS = Path("/tmp/bench_ours")
WORKERS = 2
TARGET_RATIO, TARGET_S_PER_SUBMISSION, TARGET_FIRST_S = 20.0, 0.5, 1.5
POLL_S = 0.05


def table(header, rows, indent="  "):
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for r in [header, *rows]:
        print(indent + "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))


def grade_ours(submitted, out, workers=WORKERS):
    """Our grader's command; OUT is emptied first, so nothing is resumed."""
    shutil.rmtree(out, ignore_errors=True)
    return [sys.executable, "-m", "autograder", "grade", str(submitted), "--out", str(out),
            "--workers", str(workers), "--quiet"]


def time_ours(submitted, out):
    start = time.perf_counter()
    done = subprocess.run(grade_ours(submitted, out), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"our grader exited with {done.returncode}:\n{done.stderr[-3000:]}")
    return seconds


def first_submission(notebook, assignment, out):
    """Gradescope's command on one notebook, in a fresh process (gradescope/run.py's, less its copy and user)."""
    shutil.rmtree(out, ignore_errors=True)
    return [sys.executable, "-m", "autograder", "grade", str(notebook), "--assignment", assignment,
            "--workers", "0", "--out", str(out), "--quiet", "--no-summary"]


def time_command(command):
    start = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited with {done.returncode}:\n{done.stderr[-3000:]}")
    return seconds


def time_first(submitted, student, out):
    """{assignment: seconds} of Gradescope's command on each notebook of ``student``, and the numpy floor."""
    times = {a: time_command(first_submission(submitted / student / a / f"{a}.ipynb", a, out)) for a in ASSIGNMENTS}
    times["floor"] = time_command([sys.executable, "-c", "import numpy"])
    return times


def time_nbgrader(course, log):
    start = time.perf_counter()
    for a in ASSIGNMENTS:
        nbgrader(course, "autograde", a, "--force", log=log)
    return time.perf_counter() - start


# ---- verdicts -------------------------------------------------------------------------------

def our_verdicts(out, students):
    """(student, key) -> (all tests passed, titles of the failed tests, the notebook's grading error or None)."""
    grade_ids = {e.name: e.grade_id for e in EXERCISES}   # nbgrader's check cell of an exercise is check_<grade_id>
    verdicts = {}
    for student in students:
        for a in ASSIGNMENTS:
            results = json.loads((out / student / a / "results.json").read_text(encoding="utf-8"))
            error = results.get("extra_data", {}).get("error")
            tests = {}
            for t in results["tests"]:
                exercise = t.get("extra_data", {}).get("exercise") or t["name"].split(":")[0]
                key = grade_ids.get(exercise, exercise)
                tests.setdefault(key, []).append(t)
            for key, ts in tests.items():
                failed = [t["name"].split(": ", 1)[-1] for t in ts if t["status"] != "passed"]
                verdicts[(student, key)] = (not failed, failed, error)
    return verdicts


def nbgrader_verdicts(course, students):
    """(student, key) -> (full marks on the check cell, 'score/max' and the error the cell showed)."""
    from nbgrader.api import Gradebook

    verdicts = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", course_id="bench") as gb:
        for student in students:
            for a in ASSIGNMENTS:
                errors = _cell_errors(course / "autograded" / student / a / f"{a}.ipynb")
                for g in gb.find_submission_notebook(a, a, student).grades:
                    if not g.name.startswith("check_"):
                        continue
                    full = g.score is not None and g.score >= g.max_score
                    verdicts[(student, check_key(g.name))] = (full, f"{g.score:g}/{g.max_score:g}", errors.get(g.name))
    return verdicts


def _cell_errors(path):
    """grade_id -> 'Error: first line' for each cell of an autograded notebook that raised."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    errors = {}
    for cell in nb["cells"]:
        for o in cell.get("outputs", []):
            if o.get("output_type") == "error":
                grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
                errors[grade_id] = f"{o['ename']}: {str(o['evalue']).strip().splitlines()[0] if o['evalue'] else ''}"
    return errors


def print_verdicts(students, ours, theirs):
    """Print the agreement table and every disagreement; returns (agreed, compared)."""
    keys = check_keys()
    pairs = [(s, k) for s in students for k in keys]
    disagree = [p for p in pairs if ours.get(p, (None,))[0] != theirs[p][0]]
    kinds = {kind: [s for s, k in students.items() if k == kind] for kind in KINDS}
    print(f"\nVerdicts per (student, exercise): full marks on nbgrader's check cell vs every one of our tests "
          f"of the exercise passed. Students with all marks, nbgrader / ours:")
    rows = [[k, *(f"{sum(theirs[(s, k)][0] for s in mine)} / {sum(ours.get((s, k), (False,))[0] for s in mine)}"
                  for mine in kinds.values()),
             f"{sum((s, k) not in disagree for s in students)}/{len(students)}"] for k in keys]
    table(["exercise", *(f"{kind} ({len(mine)})" for kind, mine in kinds.items()), "agree"], rows)
    agreed = len(pairs) - len(disagree)
    print(f"  agreement: {agreed} of {len(pairs)} (student, exercise) pairs = {100 * agreed / len(pairs):.1f}%")
    for s, k in disagree:
        if (s, k) not in ours:
            print(f"  disagree {s} / {k}: no test of ours for it in results.json")
            continue
        passed, failed, our_error = ours[(s, k)]
        full, score, error = theirs[(s, k)]
        if full and our_error:
            print(f"  disagree {s} / {k}: nbgrader {score}, ours failed: the notebook was not graded ({our_error})")
        elif full:
            print(f"  disagree {s} / {k}: nbgrader {score}, ours failed {'; '.join(failed)}. Expected: our suite "
                  "is stricter, and nbgrader's in-kernel asserts are a subset of it")
        else:
            print(f"  disagree {s} / {k}: nbgrader {score} ({error or 'no error shown'}), ours all passed")
    return agreed, len(pairs)


# ---- memory ---------------------------------------------------------------------------------

# Runs the grader and reports its rusage. It is a small process of its own because a child's
# ru_maxrss starts at the RSS of the process that spawned it (kept across exec), which for this
# benchmark would be ~100 MiB of its own. As subreaper it inherits the grader's orphans (the
# forkserver and, through it, the workers) and reaps them, so RUSAGE_CHILDREN covers the whole tree.
_WRAPPER = r"""
import ctypes, json, os, resource, subprocess, sys
ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)   # PR_SET_CHILD_SUBREAPER
report, cmd = sys.argv[1], sys.argv[2:]
grader = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
_, status, usage = os.wait4(grader.pid, 0)
while True:
    try:
        os.wait()
    except ChildProcessError:
        break
with open(report, "w") as f:
    json.dump({"status": os.waitstatus_to_exitcode(status), "parent": usage.ru_maxrss,
               "tree": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}, f)
"""


def _role(proc, grader, roles):
    """parent, forkserver, worker, sandbox; None for the rest, and for a child forked but not yet exec'd."""
    cmd = " ".join(proc.cmdline())
    if proc.pid == grader:
        return "parent"
    if "forkserver" in cmd and proc.ppid() == grader:
        return "forkserver"
    if ("forkserver" in cmd and roles.get(proc.ppid()) == "forkserver") or "spawn_main" in cmd:
        return "worker"
    if "child.py" in cmd:
        return "sandbox"
    return None


def _vmhwm_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def measure_memory(submitted, out):
    """Run our grader under _WRAPPER, polling its tree; (seconds, {role: [peak KiB per process]}, rusage KiB)."""
    import psutil

    report = out.parent / "rusage.json"
    with open(out.parent / "grader.stderr", "w") as err:
        start = time.perf_counter()
        wrapper = subprocess.Popen([sys.executable, "-c", _WRAPPER, str(report), *grade_ours(submitted, out)],
                                   stdout=subprocess.DEVNULL, stderr=err)
        grader, roles, peak = None, {}, {}
        while wrapper.poll() is None:
            try:
                tree = psutil.Process(wrapper.pid).children(recursive=True)
            except psutil.NoSuchProcess:
                tree = []
            for p in tree:
                try:
                    if grader is None and "autograder" in p.cmdline() and p.ppid() == wrapper.pid:
                        grader = p.pid
                    if grader is None:
                        continue
                    if roles.get(p.pid) is None:   # a sandbox is a forked worker, then an unshare, then itself
                        roles[p.pid] = _role(p, grader, roles)
                    if roles[p.pid]:   # not before: a forked child shows its parent's pages until it execs
                        peak[p.pid] = max(peak.get(p.pid, 0), _vmhwm_kib(p.pid))
                except (psutil.Error, OSError):
                    pass
            time.sleep(POLL_S)
        seconds = time.perf_counter() - start
    usage = json.loads(report.read_text())
    if wrapper.returncode != 0 or usage["status"] != 0:
        raise RuntimeError(f"our grader exited with {usage['status']}; see {err.name}")
    by_role = {}
    for pid, kib in peak.items():
        by_role.setdefault(roles[pid], []).append(kib)
    return seconds, by_role, usage


def run_memory(sizes):
    import psutil

    print(f"Our grader alone, --workers {WORKERS}: peak RSS in MiB. 'parent' and 'whole tree' are exact "
          f"(ru_maxrss of the grader, and of every process it started, from a wrapper process); the others are "
          f"each process's VmHWM, read from /proc every {1e3 * POLL_S:.0f} ms (psutil {psutil.__version__} "
          "finds the processes)")
    rows = []
    for n in sizes:
        folder = OURS / f"memory{n}"
        shutil.rmtree(folder, ignore_errors=True)
        submitted = write_class(folder / "submitted", roster(n))
        seconds, by_role, usage = measure_memory(submitted, folder / "out")
        mib = {role: max(v) / 1024 for role, v in by_role.items()}
        count = {role: len(v) for role, v in by_role.items()}
        rows.append([f"{n}", f"{len(ASSIGNMENTS) * n}", f"{seconds:.1f}", f"{seconds / n:.2f}", f"{usage['parent'] / 1024:.0f}",
                     f"{mib.get('forkserver', 0):.0f}", f"{mib.get('worker', 0):.0f} ({count.get('worker', 0)})",
                     f"{mib.get('sandbox', 0):.0f} ({count.get('sandbox', 0)})", f"{usage['tree'] / 1024:.0f}"])
    table(["students", "notebooks", "wall s", "s/submission", "parent", "forkserver", "largest worker (n)",
           "largest sandbox (n)", "whole tree"], rows)
    print("  (n): processes of that kind seen. A worker's RSS includes the pages it shares with the forkserver "
          "it was forked from; a sandbox runs one student's cells.")


# ---- comparison -----------------------------------------------------------------------------

def run_comparison(n, rounds):
    students = roster(n)
    build = time.perf_counter()
    shutil.rmtree(NBG, ignore_errors=True)
    shutil.rmtree(OURS, ignore_errors=True)
    log = Path(f"{NBG}.log")
    log.unlink(missing_ok=True)
    submitted = write_class(OURS / "submitted", students)
    make_nbgrader_course(NBG, students, log=log)
    build = time.perf_counter() - build
    times = {"nbgrader": [], "ours": []}
    first = {}
    correct = next(s for s, kind in students.items() if kind == "correct")
    for _ in range(rounds):
        times["nbgrader"].append(time_nbgrader(NBG, log))
        times["ours"].append(time_ours(submitted, OURS / "out"))
        for key, seconds in time_first(submitted, correct, OURS / "first").items():
            first.setdefault(key, []).append(seconds)
    t_nbg, t_ours = (statistics.median(times[k]) for k in ("nbgrader", "ours"))

    import nbgrader as nbgrader_package

    print(f"One class, {n} students x {len(ASSIGNMENTS)} notebooks ({', '.join(KINDS)} in turn), graded by each "
          f"grader on {os.cpu_count()} CPUs; built in {build:.0f} s (not timed).")
    print(f"nbgrader {nbgrader_package.__version__}: `nbgrader autograde <assignment> --force` for each assignment, "
          f"hidden tests in-kernel, notebooks cut to exercise and check cells; its log: {log}")
    agreed, compared = print_verdicts(students, our_verdicts(OURS / "out", students), nbgrader_verdicts(NBG, students))

    print(f"\nWall time, median of {rounds} round(s), the graders in alternation"
          + (f" (rounds: nbgrader {', '.join(f'{t:.1f}' for t in times['nbgrader'])} s; "
             f"ours {', '.join(f'{t:.1f}' for t in times['ours'])} s)" if rounds > 1 else "") + ":")
    rows = [[name, f"{t:.1f}", f"{n / t:.3f}", f"{len(ASSIGNMENTS) * n / t:.2f}", f"{t / n:.2f}"]
            for name, t in (("nbgrader autograde", t_nbg), (f"ours, --workers {WORKERS}", t_ours))]
    table(["grader", "wall s", "submissions/s", "notebooks/s", "s/submission"], rows)
    ratio = t_nbg / t_ours
    print(f"  throughput, ours / nbgrader     : {ratio:5.1f}x   target >= {TARGET_RATIO:g}x   "
          f"{'met' if ratio >= TARGET_RATIO else 'NOT MET'}")
    print(f"  ours per {len(ASSIGNMENTS)}-notebook submission  : {t_ours / n:5.2f} s   target <= {TARGET_S_PER_SUBMISSION:g} s   "
          f"{'met' if t_ours / n <= TARGET_S_PER_SUBMISSION else 'NOT MET'}")
    print(f"  verdicts agree                  : {100 * agreed / compared:5.1f}%   ({agreed} of {compared})")

    first = {key: statistics.median(v) for key, v in first.items()}
    floor = first.pop("floor")
    print(f"\nFirst submission in a fresh process (Gradescope's command on one notebook of {correct}, "
          f"--workers 0 --no-summary), median of {rounds} round(s); the floor is `python -c \"import numpy\"`, "
          f"{floor:.2f} s, in the same rounds:")
    table(["assignment", "wall s", "vs floor"], [[a, f"{t:.2f}", f"{t / floor:.1f}x"] for a, t in first.items()])
    slowest = max(first.values())
    print(f"  slowest first submission          : {slowest:5.2f} s   target <= {TARGET_FIRST_S:g} s   "
          f"{'met' if slowest <= TARGET_FIRST_S else 'NOT MET'}")


SANDBOX_CELLS = {f"cell{i}": "import numpy as np\n" for i in range(5)}
SANDBOX_CELLS["f"] = ("import numpy as np\ndef f(x, gamma, beta, eps=1e-5):\n    mu = x.mean(axis=0)\n"
                      "    var = x.var(axis=0)\n    return gamma * (x - mu) / np.sqrt(var + eps) + beta\n")


def _sandbox_round(mode, calls):
    from autograder.sandbox import Limits, Sandbox

    rng = np.random.default_rng(0)
    x, gamma, beta = rng.normal(size=(64, 16)), np.ones(16), np.zeros(16)
    start = time.perf_counter()
    with Sandbox(SANDBOX_CELLS, limits=Limits(isolation=mode)) as box:
        box.call("f", x, gamma, beta)
        started = time.perf_counter() - start
        start = time.perf_counter()
        for _ in range(calls):
            box.call("f", x, gamma, beta)
        per_call = (time.perf_counter() - start) / calls
    return started, per_call


def run_sandbox(rounds, calls=200):
    from autograder.sandbox.isolation import works

    modes = [m for m in ("namespaces", "seccomp") if works(m)] + ["none"]
    times = {m: ([], []) for m in modes}
    _sandbox_round("none", 5)   # warm the page cache and the compiled filter
    for _ in range(rounds):
        for mode in modes:
            started, per_call = _sandbox_round(mode, calls)
            times[mode][0].append(started)
            times[mode][1].append(per_call)
    base_start, base_call = (statistics.median(v) for v in times["none"])
    print(f"The sandbox's own cost, median of {rounds} round(s), modes in alternation, as "
          f"{'root' if os.geteuid() == 0 else 'uid ' + str(os.geteuid())}:")
    rows = []
    for mode in modes:
        start_s, call_s = (statistics.median(v) for v in times[mode])
        rows.append([mode, f"{1000 * start_s:.0f}", f"{start_s / base_start:.2f}x", f"{1e6 * call_s:.0f}",
                     f"{call_s / base_call:.2f}x"])
    table(["isolation", "ms per student (start + 6 cells + 1 call)", "vs none", "us per call", "vs none"], rows)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=20, help="class size of the comparison (default 20)")
    parser.add_argument("--rounds", type=int, default=1, help="timed rounds of each grader, in alternation")
    parser.add_argument("--memory", action="store_true", help="our grader's peak memory instead of the comparison")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 200], help="class sizes of --memory")
    parser.add_argument("--sandbox", action="store_true", help="the cost of the sandbox's isolation, per mode")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    if args.sandbox:
        run_sandbox(max(args.rounds, 1))
    elif args.memory:
        run_memory(args.sizes)
    else:
        run_comparison(args.students, args.rounds)
    print(f"\n(benchmark wall time {time.perf_counter() - start:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
