"""The main job and the experiment runner behind it."""

import subprocess
import sys
from pathlib import Path

from course_lib.experiments import circles_experiment, spread

ROOT = Path(__file__).resolve().parents[1]


def test_circles_experiment_runs_per_seed():
    runs = circles_experiment(True, seeds=[0, 1], epochs=15)
    assert [r.seed for r in runs] == [0, 1] and all(r.batchnorm for r in runs)
    for r in runs:
        assert r.history.epochs == 15
        reached = [e for e, v in enumerate(r.history.val_metric, 1) if v >= 0.6]
        assert r.epochs_to_threshold == (reached[0] if reached else None)


def test_spread_counts_never():
    assert spread([3, None, 5], never=11) == (5.0, 3.0, 11.0, 2)


def test_demo_prints_the_table():
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "demo.py"), "--seeds", "2", "--epochs", "20",
                             "--no-grading"],
                            capture_output=True, text=True, timeout=120, check=True)
    lines = result.stdout.splitlines()
    assert any(line.split()[:1] == ["0"] for line in lines) and any(line.split()[:1] == ["1"] for line in lines)
    assert "median" in result.stdout and "without BN" in result.stdout
