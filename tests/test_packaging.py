"""The repository's set-up files agree with each other."""

import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _split(requirement):
    m = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*?)\s*$", requirement)
    return m.group(1).lower().replace("_", "-"), m.group(2).replace(" ", "")


def pyproject_requirements():
    """(dependencies conda installs, pip-only ones): a dependency with a platform marker (the sandbox's
    Linux packages, not on conda-forge) goes in environment.yml's pip section, beside the test extra."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = dict(_split(r.split(";")[0]) for r in project["dependencies"] if ";" not in r)
    extra = dict(_split(r.split(";")[0]) for r in project["dependencies"] if ";" in r)
    extra.update(_split(r) for r in project["optional-dependencies"]["test"])
    return reqs, extra


def environment_requirements():
    """(conda dependencies, pip dependencies) of environment.yml, read by indentation."""
    conda, pip, section, pip_indent = {}, {}, None, None
    for line in (ROOT / "environment.yml").read_text().splitlines():
        text = line.split("#", 1)[0].rstrip()
        if not text.strip():
            continue
        indent = len(text) - len(text.lstrip())
        if indent == 0:
            section = text.rstrip(":")
            continue
        item = text.strip()[2:].strip() if text.strip().startswith("- ") else None
        if section != "dependencies" or item is None:
            continue
        if item == "pip:":
            pip_indent = indent
            continue
        if item in ("pip", "-e .") or item.startswith("python"):
            continue
        name, spec = _split(item)
        nested = pip_indent is not None and indent > pip_indent
        (pip if nested else conda)[name] = spec
    return conda, pip


def test_environment_yml_matches_pyproject():
    reqs, extra = pyproject_requirements()
    conda, pip = environment_requirements()
    assert conda == reqs
    assert pip == extra


def test_environment_yml_installs_the_package():
    assert "- -e ." in (ROOT / "environment.yml").read_text()


def test_parser_sees_a_mismatch(tmp_path, monkeypatch):
    """The agreement check can fail: drop a dependency from a copy and it notices."""
    (tmp_path / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text())
    (tmp_path / "environment.yml").write_text((ROOT / "environment.yml").read_text().replace("  - tqdm>=4.66\n", ""))
    monkeypatch.setattr(__import__(__name__), "ROOT", tmp_path)
    with pytest.raises(AssertionError):
        test_environment_yml_matches_pyproject()


def test_python_version_and_packages():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["requires-python"] == ">=3.11"
    import autograder
    import course_lib

    assert Path(course_lib.__file__).parent == ROOT / "course_lib"
    assert autograder.__doc__


def test_nbgrader_config_pins_the_folders():
    text = (ROOT / "nbgrader_config.py").read_text()
    assert 'source_directory = "solutions"' in text and 'release_directory = "notebooks"' in text
    assert "CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))" in text


def test_torch_is_the_cpu_build():
    from conftest import require

    torch = require("torch")
    assert torch.__version__.startswith("2.13.0") and torch.version.cuda is None


def test_shipped_data_is_packaged():
    text = (ROOT / "pyproject.toml").read_text()
    assert 'course_lib = ["datasets/*", "checks/*.json"]' in text
    assert (ROOT / "course_lib" / "datasets" / "cal_housing.data.gz").is_file()
    assert (ROOT / "course_lib" / "checks" / "expected.json").is_file()
