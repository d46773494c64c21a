"""Debian packages installed on demand (customer_tiering.system_packages), without running apt."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from customer_tiering import system_packages
from customer_tiering.system_packages import SystemPackageError, ensure_debian_package


def test_an_executable_found_is_returned_without_installing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(system_packages, "apt_get", _no_apt)
    assert ensure_debian_package("python3", Path(sys.executable).name) is not None
    assert ensure_debian_package("python3", sys.executable) == Path(sys.executable)


def test_a_missing_package_without_root_names_the_command_to_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(system_packages, "is_root", lambda: False)
    monkeypatch.setattr(system_packages, "apt_get", _no_apt)
    with pytest.raises(SystemPackageError, match="apt-get install no-such-package"):
        ensure_debian_package("no-such-package", "/nonexistent/no-such-executable")


def test_a_failed_install_is_an_error_with_apt_output(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, ...]] = []

    def failing_apt(apt: str, *args: str) -> tuple[bool, str]:
        calls.append(args)
        return args[0] == "update", "E: Unable to locate package no-such-package"

    monkeypatch.setattr(system_packages, "is_root", lambda: True)
    monkeypatch.setattr(system_packages.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(system_packages, "apt_get", failing_apt)
    with pytest.raises(SystemPackageError, match="Unable to locate package"):
        ensure_debian_package("no-such-package", "/nonexistent/no-such-executable")
    assert calls == [
        ("update",),
        ("install", "-y", "--no-install-recommends", "no-such-package"),
    ]


def _no_apt(apt: str, *args: str) -> tuple[bool, str]:
    raise AssertionError(f"apt-get must not run: {args}")
