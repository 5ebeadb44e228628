#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image: Python and pip,
# the grader's packages (requirements.txt), and the user who runs the students' code.
# The grader needs Python 3.11 or later: choose the Ubuntu 24.04 base image.
set -euo pipefail
cd "$(dirname "$0")"
export DEBIAN_FRONTEND=noninteractive

if ! command -v python3 >/dev/null || ! python3 -m pip --version >/dev/null 2>&1; then
    apt-get update
    apt-get install -y --no-install-recommends python3 python3-pip
fi
if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "setup.sh: the grader needs Python 3.11 or later and this image has $(python3 -V 2>&1);" \
         "choose the Ubuntu 24.04 base image" >&2
    exit 1
fi

# The sandbox's seccomp filter is compiled by libseccomp; setpriv (util-linux) drops to the student's uid.
if ! ldconfig -p | grep -q 'libseccomp\.so\.2' || ! command -v setpriv >/dev/null; then
    apt-get update
    apt-get install -y --no-install-recommends libseccomp2 util-linux
fi

# The image exists only to grade, so pip may install into the system Python (PEP 668's marker
# guards a desktop's packages), over the copies apt installed (--ignore-installed: apt's have no
# record pip could uninstall them by). CPU packages only.
PIP_BREAK_SYSTEM_PACKAGES=1 python3 -m pip install --no-cache-dir --disable-pip-version-check \
    --ignore-installed -r requirements.txt

# run_autograder runs the students' code as this user: no password, no home, no login shell.
if ! id -u student >/dev/null 2>&1; then
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin student
fi
