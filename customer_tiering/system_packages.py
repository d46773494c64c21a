"""Debian packages the project needs outside Python (PostgreSQL for the engine tests, Chromium and
CJK fonts for the report's browser test), installed with apt-get when missing and possible.

Installing needs root and apt-get; otherwise the caller gets a message saying what to run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path


class SystemPackageError(RuntimeError):
    """A Debian package is missing and could not be installed."""


def log(message: str) -> None:
    """A line on stderr, prefixed with the module's name."""
    print(f"[system_packages] {message}", file=sys.stderr, flush=True)


def is_root() -> bool:
    """Whether this process runs as uid 0."""
    return hasattr(os, "geteuid") and os.geteuid() == 0


def apt_get(apt: str, *args: str) -> tuple[bool, str]:
    """Run one quiet, non-interactive apt-get command; return (ok, output)."""
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    cmd = [apt, "-qq", "-o", "DPkg::Lock::Timeout=300", *args]
    try:
        proc = subprocess.run(
            cmd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=1800,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, str(exc)
    return proc.returncode == 0, proc.stdout[-4000:]


def apt_install(package: str, what: str, say: Callable[[str], None] = log) -> bool:
    """Install a Debian package with apt-get (update first); never raises. `what` names the
    missing thing in the messages (e.g. 'PostgreSQL'); every reason for failing goes to `say`."""
    if not is_root():
        say(f"{what} is not installed and this process is not root, so it")
        say(f"cannot install it; run: apt-get install {package} (as root)")
        return False
    apt = shutil.which("apt-get")
    if apt is None:
        say(f"{what} is not installed and apt-get is not available")
        return False
    say(f"{what} not found; installing it with apt-get (takes a while)")
    ok, output = apt_get(apt, "update")
    if not ok:
        say(f"apt-get update failed, trying the install anyway:\n{output}")
    ok, output = apt_get(apt, "install", "-y", "--no-install-recommends", package)
    if not ok:
        say(f"apt-get install {package} failed:\n{output}")
        return False
    return True


def find_executable(executable: str) -> Path | None:
    """An absolute path (a file that must exist) or a command name looked up on PATH."""
    if os.sep in executable:
        path = Path(executable)
        return path if path.exists() else None
    found = shutil.which(executable)
    return None if found is None else Path(found)


def ensure_debian_package(package: str, executable: str) -> Path:
    """The path of `executable` (a command on PATH, or an absolute path of a file the package
    installs), installing the Debian `package` first when it is missing. Raises
    SystemPackageError with the reason when it stays missing."""
    found = find_executable(executable)
    if found is not None:
        return found
    reasons: list[str] = []

    def say(message: str) -> None:
        reasons.append(message)
        log(message)

    if apt_install(package, executable, say):
        found = find_executable(executable)
        if found is not None:
            return found
        reasons.append(f"{package} was installed but {executable} was not found")
    raise SystemPackageError(f"{executable} (Debian package {package}): " + " ".join(reasons))
