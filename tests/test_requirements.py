"""The manifest's requirements install under every Home Assistant release we support.

Home Assistant pip-installs a custom integration's requirements under its own
``package_constraints.txt``. An exact pin on a library Home Assistant also pins (as
``async-upnp-client==0.48.2`` was) makes the integration fail to load on the first
release that bumps it. This suite runs on the newest and the oldest supported release
(``./script/test`` and ``./script/test --ha oldest``), so both releases' constraints
are checked here, and ``./script/test --smoke`` starts the newest one for real.
"""

from __future__ import annotations

from importlib import metadata
import json
from pathlib import Path

import homeassistant
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version
import pytest

MANIFEST = Path(__file__).parent.parent / "custom_components" / "plex_remote_doctor" / "manifest.json"


def manifest_requirements() -> list[Requirement]:
    return [Requirement(text) for text in json.loads(MANIFEST.read_text())["requirements"]]


def constraints(text: str) -> dict[str, SpecifierSet]:
    """``package_constraints.txt`` as name -> specifier (comments, URLs and markers skipped)."""
    found: dict[str, SpecifierSet] = {}
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line or line.startswith("-") or "://" in line:
            continue
        requirement = Requirement(line)
        name = canonicalize_name(requirement.name)
        found[name] = found.get(name, SpecifierSet()) & requirement.specifier
    return found


def unsatisfiable(requirement: Requirement, constrained: dict[str, SpecifierSet]) -> str | None:
    """Why pip could not install ``requirement`` under the constraints, or None."""
    constraint = constrained.get(canonicalize_name(requirement.name))
    if constraint is None:
        return None
    pins = [Version(spec.version) for spec in constraint if spec.operator == "=="]
    if pins:
        # Home Assistant pins exactly: that one version must be allowed by the manifest.
        candidates = pins
    else:
        # A range (for example a cap): the manifest's own lower bounds must fall inside it.
        candidates = [
            Version(spec.version) for spec in requirement.specifier if spec.operator in (">=", "==")
        ]
    allowed = [version for version in candidates if requirement.specifier.contains(version, prereleases=True)]
    if not allowed or not all(constraint.contains(version, prereleases=True) for version in allowed):
        return f"{requirement} cannot be installed under Home Assistant's constraint {requirement.name}{constraint}"
    return None


def test_manifest_requirements_install_under_home_assistants_constraints() -> None:
    text = (Path(homeassistant.__file__).parent / "package_constraints.txt").read_text()
    constrained = constraints(text)
    assert "async-upnp-client" in constrained  # the file was read, and HA does pin it
    problems = [reason for req in manifest_requirements() if (reason := unsatisfiable(req, constrained))]
    assert not problems, problems


def test_no_exact_pin_on_a_library_home_assistant_constrains() -> None:
    """An exact pin breaks on Home Assistant's next bump of that library, so none at all."""
    for requirement in manifest_requirements():
        assert all(spec.operator not in ("==", "===") for spec in requirement.specifier), requirement
        assert any(spec.operator == ">=" for spec in requirement.specifier), requirement


def test_installed_versions_satisfy_the_manifest() -> None:
    """The tests run on what a user gets: Home Assistant's pin where it pins, else the range."""
    text = (Path(homeassistant.__file__).parent / "package_constraints.txt").read_text()
    constrained = constraints(text)
    for requirement in manifest_requirements():
        installed = metadata.version(requirement.name)
        assert requirement.specifier.contains(installed, prereleases=True), (requirement, installed)
        pins = [
            spec.version
            for spec in constrained.get(canonicalize_name(requirement.name), ())
            if spec.operator == "=="
        ]
        assert all(installed == pin for pin in pins), (requirement.name, installed, pins)


@pytest.mark.parametrize(
    ("manifest", "constraint", "ok"),
    [
        # What broke 2026.11.0: the old exact pin under the new release's pin.
        ("async-upnp-client==0.48.2", "async-upnp-client==0.49.0", False),
        ("async-upnp-client>=0.46.2", "async-upnp-client==0.49.0", True),
        ("async-upnp-client>=0.48.2", "async-upnp-client==0.46.2", False),
        ("async-upnp-client>=0.46.2,<0.49", "async-upnp-client==0.49.0", False),
        ("defusedxml>=0.7.1", "defusedxml<0.7", False),
        ("defusedxml>=0.7.1", "defusedxml>=0.6", True),
        ("defusedxml>=0.7.1", "aiohttp==3.14.5", True),
    ],
)
def test_the_check_itself(manifest: str, constraint: str, ok: bool) -> None:
    assert (unsatisfiable(Requirement(manifest), constraints(constraint)) is None) is ok
