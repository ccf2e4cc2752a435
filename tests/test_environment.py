"""The pinned environment: requirements.txt and environment.yml agree, and the venv matches them."""

import re
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PIN = re.compile(r"^\s*(?:-\s+)?([A-Za-z0-9_.-]+)==([^\s#]+)")


def pins(path: Path) -> dict[str, str]:
    found = {}
    for line in path.read_text().splitlines():
        match = PIN.match(line)
        if match:
            found[match[1].lower().replace("_", "-")] = match[2]
    return found


def test_requirements_and_environment_yml_agree():
    req, env = pins(ROOT / "requirements.txt"), pins(ROOT / "environment.yml")
    assert req == env, (
        f"only in requirements.txt: {set(req.items()) - set(env.items())}; only in environment.yml: {set(env.items()) - set(req.items())}"
    )


def test_every_requirement_is_an_exact_pin():
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        assert not line or PIN.match(line), f"requirements.txt: {line!r} is not an exact pin (name==version)"


def test_core_pins():
    req = pins(ROOT / "requirements.txt")
    assert req["torch"] == "2.13.0", "torch must stay at 2.13.0 (an unpinned torch pulls gigabytes of CUDA wheels)"
    for name in (
        "jupyterlab",
        "nbgrader",
        "tensorflow-cpu",
        "keras",
        "gensim",
        "scikit-learn",
        "nltk",
        "nbval",
        "pandas",
        "matplotlib",
        "tqdm",
        "pytest",
    ):
        assert name in req, f"{name} is not pinned in requirements.txt"


def test_installed_versions_match_pins():
    wrong = {}
    for name, version in pins(ROOT / "requirements.txt").items():
        installed = metadata.version(name)
        if installed.split("+")[0] != version:
            wrong[name] = (version, installed)
    assert not wrong, f"installed packages differ from the pins (pinned, installed): {wrong}; run `make venv`"


def test_nbformat_imports_without_the_slow_iri_checker():
    """`make venv` removes rfc3987-syntax (jsonschema's optional IRI checker, which builds ~35 Lark parsers
    on import): it would add 1.5 s to every nbgrader, nbclient and grader process. No Jupyter schema checks IRIs."""
    import subprocess
    import sys

    code = "import sys, nbformat, jsonschema; print('rfc3987_syntax' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "False", "importing nbformat loads rfc3987_syntax: run `.venv/bin/pip uninstall rfc3987-syntax`" \
        " (the Makefile's venv recipe does)"
