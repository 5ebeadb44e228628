"""The sandboxed child: runs a student's exercise cells and calls their functions on request.

Started by ``client.Sandbox`` as ``python -I -S child.py CONFIG`` inside the
isolation of ``isolation.py``, from a read-only folder that holds copies of
this file, ``wire.py``, ``channel.py``, ``policy.py`` and the student-safe
part of ``course_lib``; never from the repository. Requests and answers are
messages on the socket pair of ``channel.py``; the student's prints go to
the log the grader gave as stdout and stderr, never into the protocol.

Before any student code runs, the child confines itself further where the
grader asks: seccomp and Landlock when there are no namespaces, then the
audit hook of ``policy.py``, which only turns refusals into friendly
messages. No verdict depends on the hook.

Each exercise cell runs in its own namespace, so one broken cell does not
take the others down. A cell comes as parts (``course_lib.cells.program``):
the definitions it uses from the student's other cells, then the cell itself,
each compiled under its own label so that line numbers are the cell's own.
"""

import json
import os
import socket
import sys


def _setup(config):
    sys.path[:0] = [config["libdir"]]
    sys.path.extend(config["site_dirs"])
    sys.dont_write_bytecode = True
    import numpy  # noqa: F401  imported before the confinement, which then forbids what numpy's import needs

    import channel
    import course_lib.bncache  # noqa: F401
    import course_lib.cells  # noqa: F401
    import course_lib.history  # noqa: F401
    import policy
    import wire

    if config.get("landlock"):
        _landlock(config["landlock"])
    if config.get("seccomp_fd") is not None:
        import seccomp

        with os.fdopen(config["seccomp_fd"], "rb") as f:
            seccomp.load(f.read())
    return wire, channel, policy


def _landlock(rules):
    """Read-only access beneath rules['read'], read-write beneath rules['write'], nothing else."""
    sys.path.append(rules["package"])
    try:
        from landlock.plumbing import FSAccess
        from landlock.porcelain import Ruleset
    finally:
        sys.path.remove(rules["package"])

    everything = FSAccess.all()
    reading = FSAccess.READ_FILE | FSAccess.READ_DIR | FSAccess.EXECUTE
    ruleset = Ruleset(everything)
    for path in rules["read"]:
        if os.path.exists(path):
            ruleset.allow(path, rules=reading if os.path.isdir(path) else reading & FSAccess.all_file())
    for path in rules["write"]:
        ruleset.allow(path, rules=everything if os.path.isdir(path) else everything & FSAccess.all_file())
    ruleset.apply()


def _short(err, limit=500):
    text = f"{type(err).__name__}: {err}"
    return text if len(text) <= limit else text[:limit] + " ..."


def _kind(err):
    return "not_implemented" if isinstance(err, NotImplementedError) else "raised"


def _raised(err, exercise):
    """What the student's code raised, in words; a NameError says why a name may be missing here."""
    from course_lib.cells import error_text

    text = error_text(err, exercise)
    return text if len(text) <= 500 else text[:500] + " ..."


def main(config_text):
    config = json.loads(config_text)
    wire, channel, policy = _setup(config)
    from course_lib.bncache import BNCache, LNCache
    from course_lib.history import History

    records = {"BNCache": BNCache, "LNCache": LNCache, "History": History}
    workdir = config["workdir"]
    sock = socket.socket(fileno=config["sock_fd"])
    os.chdir(workdir)
    if config.get("audit_hook", True):
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

    def handle(req, spec, data):
        op = req.get("op")
        if op == "load":
            for grade_id, parts in spec["cells"].items():
                ns = {"__name__": f"cell_{grade_id}", "__builtins__": __builtins__}
                namespaces[grade_id] = ns
                for label, source in parts:
                    try:
                        exec(compile(source, label, "exec"), ns)
                    except BaseException as err:   # a cell that fails still leaves its siblings usable
                        cell_errors.setdefault(grade_id, _short(err, 300))
            return {"ok": True, "errors": cell_errors}, None
        if op in ("call", "value"):
            target, problem = find(req["name"], req.get("cell"))
            if problem:
                return {"ok": False, "kind": problem[0], "message": problem[1]}, None
            if op == "value":
                result = target
            else:
                if not callable(target):
                    return {"ok": False, "kind": "missing", "message": f"{req['name']} is not a function"}, None
                args = wire.unpack(spec["args"], data, writable=True, layouts=True, records=records)
                kwargs = wire.unpack(spec["kwargs"], data, writable=True, layouts=True, records=records)
                try:
                    result = target(*args, **kwargs)
                except BaseException as err:   # SystemExit and KeyboardInterrupt included
                    return {"ok": False, "kind": _kind(err), "message": _raised(err, req["name"])}, None
            try:
                return {"ok": True}, wire.pack(result)
            except wire.WireError as err:
                return {"ok": False, "kind": "unsupported",
                        "message": f"returned {err}; return numpy arrays, numbers, tuples or None"}, None
            except BaseException as err:
                return {"ok": False, "kind": "raised", "message": f"its result could not be read: {_short(err)}"}, None
        return {"ok": False, "kind": "crashed", "message": f"unknown request {op!r}"}, None

    os.close(channel.send(sock, {"ready": True}))
    while True:
        try:
            req, fd = channel.receive(sock)
        except EOFError:
            return
        try:
            spec, data = channel.map_body(fd)
        finally:
            os.close(fd)
        try:
            answer, body = handle(req, spec, data)
        except BaseException as err:
            answer, body = {"ok": False, "kind": "crashed", "message": _short(err)}, None
        answer["id"] = req.get("id")
        spec_out, data_out = body if body is not None else (None, b"")
        try:
            os.close(channel.send(sock, answer, spec_out, data_out))
        except (OSError, ValueError, OverflowError) as err:
            os.close(channel.send(sock, {"ok": False, "kind": "unsupported", "id": req.get("id"),
                                         "message": f"its result could not be sent: {_short(err)}"}))


if __name__ == "__main__":
    main(sys.argv[1])
