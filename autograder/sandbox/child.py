"""The sandboxed child: runs a student's exercise cells and calls their functions on request.

Started by ``client.Sandbox`` as ``python -I -S child.py CONFIG`` from a
private folder that holds copies of this file, ``wire.py``, ``policy.py``
and the student-safe part of ``course_lib``; never from the repository.
Requests arrive as JSON lines on one pipe and answers leave on another;
arrays travel as ``.npy`` files in the working folder. The student's
prints go to log files, never into the protocol.

Each exercise cell runs in its own namespace, so one broken cell does not
take the others down.
"""

import json
import os
import sys


def _setup(config):
    sys.path[:0] = [config["libdir"]]
    sys.path.extend(config["site_dirs"])
    sys.dont_write_bytecode = True
    import numpy  # noqa: F401  imported before the policy, which then forbids what numpy's import needs

    import course_lib.bncache  # noqa: F401
    import course_lib.history  # noqa: F401
    import policy
    import wire

    return wire, policy


def _short(err, limit=500):
    text = f"{type(err).__name__}: {err}"
    return text if len(text) <= limit else text[:limit] + " ..."


def _kind(err):
    return "not_implemented" if isinstance(err, NotImplementedError) else "raised"


def main(config_path):
    with open(config_path, encoding="utf-8") as f:
        config = json.load(f)
    wire, policy = _setup(config)
    from course_lib.bncache import BNCache
    from course_lib.history import History

    records = {"BNCache": BNCache, "History": History}
    workdir = config["workdir"]
    requests = os.fdopen(config["req_fd"], "rb", buffering=0)
    answers = os.fdopen(config["resp_fd"], "wb", buffering=0)
    os.chdir(workdir)
    policy.install(read_dirs=config["read_dirs"], write_dirs=[workdir], deny_dirs=config["deny_dirs"])

    namespaces = {}    # grade_id -> the cell's namespace
    cell_errors = {}   # grade_id -> what the cell raised when it was run

    def find(name, cell):
        """The object ``name`` from its own cell, else from any cell; or why it is not there."""
        for ns in [namespaces.get(cell, {})] + list(namespaces.values()):
            if name in ns and not name.startswith("__"):
                return ns[name], None
        if cell in cell_errors:
            return None, ("raised", f"the cell that defines {name} raised {cell_errors[cell]} when it was run")
        return None, ("missing", f"no {name} is defined: keep the name the notebook gives it")

    def handle(req):
        op = req.get("op")
        if op == "load":
            for grade_id, source in req["cells"].items():
                ns = {"__name__": f"cell_{grade_id}", "__builtins__": __builtins__}
                namespaces[grade_id] = ns
                try:
                    exec(compile(source, f"<cell {grade_id}>", "exec"), ns)
                except BaseException as err:   # a cell that fails still leaves its siblings usable
                    cell_errors[grade_id] = _short(err, 300)
            return {"ok": True, "errors": cell_errors}
        if op in ("call", "value"):
            target, problem = find(req["name"], req.get("cell"))
            if problem:
                return {"ok": False, "kind": problem[0], "message": problem[1]}
            if op == "value":
                result = target
            else:
                if not callable(target):
                    return {"ok": False, "kind": "missing", "message": f"{req['name']} is not a function"}
                args = wire.decode(req["args"], workdir, mmap=True, records=records)
                kwargs = wire.decode(req["kwargs"], workdir, mmap=True, records=records)
                try:
                    result = target(*args, **kwargs)
                except BaseException as err:   # SystemExit and KeyboardInterrupt included
                    return {"ok": False, "kind": _kind(err), "message": _short(err)}
            try:
                value = wire.encode(result, workdir, f"out{req['id']}")
            except wire.WireError as err:
                return {"ok": False, "kind": "unsupported",
                        "message": f"returned {err}; return numpy arrays, numbers, tuples or None"}
            except BaseException as err:
                return {"ok": False, "kind": "raised", "message": f"its result could not be read: {_short(err)}"}
            return {"ok": True, "value": value}
        return {"ok": False, "kind": "crashed", "message": f"unknown request {op!r}"}

    for line in iter(requests.readline, b""):
        req = json.loads(line)
        try:
            answer = handle(req)
        except BaseException as err:
            answer = {"ok": False, "kind": "crashed", "message": _short(err)}
        answer["id"] = req.get("id")
        answers.write(json.dumps(answer).encode() + b"\n")


if __name__ == "__main__":
    main(sys.argv[1])
