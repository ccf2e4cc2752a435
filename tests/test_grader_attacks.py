"""The grader against hostile submissions: twelve attacks, each a real notebook.

One class is graded once (two workers, the fixture course under
tests/fixtures/grader/course): honest references next to every attack, so the
tests also prove that an attack never changes another student's grade or stops
the batch. Each test then checks one attack's score, status and side effects.
"""

from __future__ import annotations

import copy
import csv
import hashlib
import html
import json
import os
import re
import socket
import sqlite3
import threading
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell

from autograder.classgen import solution_sources, submission, write
from autograder.grade import GradeOptions, grade
from autograder.gradebook import prepare_lessons
from autograder.sandbox import Limits, detect_layers

pytestmark = [pytest.mark.xdist_group("grader_attacks"), pytest.mark.notebook]

COURSE = Path(__file__).parent / "fixtures" / "grader" / "course"
LESSON = "01_tiny"
SOURCE = COURSE / LESSON / f"{LESSON}.ipynb"
MEMORY_MB = 768
LIMITS = Limits(cell_timeout=6, notebook_timeout=90, memory_mb=MEMORY_MB, processes=96, tmp_mb=64)

def require_sandbox(limits=None) -> None:
    """Skip where the machine cannot sandbox (a developer laptop); fail under CI, where it must."""
    layers = detect_layers(limits)
    if not layers.complete:
        (pytest.fail if os.environ.get("CI") else pytest.skip)("the sandbox is incomplete here: " + layers.describe())


WRONG_COUNT = "def count(tokens, word):\n    return 0"
WRONG_NORMALIZE = "def normalize(v):\n    return np.asarray(v, dtype=float)"


def _cell(nb, grade_id):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def _drop(nb, *grade_ids):
    nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") not in grade_ids]
    return nb


class Listener:
    """A TCP service on the host's loopback that records every connection it gets."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.5)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self):
        self.stop.set()
        self.thread.join(2)
        self.sock.close()


def build_class(root: Path, lesson, out: Path, port: int) -> dict[str, Path]:
    """Write every submission of the class; return ``{student: path}``."""
    sol = solution_sources(SOURCE)
    subs: dict[str, object] = {}
    subs["alice"] = submission(lesson, sol)  # honest, full marks
    subs["bob"] = submission(lesson, {})  # the untouched stub
    subs["carol"] = submission(lesson, {"ex_count": sol["ex_count"]})  # half done

    # (1) loops forever: interrupted after the cell timeout, the rest still graded
    subs["loop"] = submission(lesson, {"ex_count": "while True:\n    pass", "ex_normalize": sol["ex_normalize"]})
    # (1b) ... and ignores the interrupt: the watchdog stops the kernel
    subs["loop_noint"] = submission(lesson, {
        "ex_count": sol["ex_count"],
        "ex_normalize": "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass",
    })
    # (2) allocates far more memory than allowed
    subs["memory"] = submission(lesson, {
        "ex_count": f"blob = bytearray({4 * MEMORY_MB} * 2**20)\n" + sol["ex_count"],
        "ex_normalize": sol["ex_normalize"],
    })
    # (2b) stays under the per-process limit in each of several processes: the total is what counts
    subs["memory_split"] = submission(lesson, {
        "ex_count": sol["ex_count"],
        "ex_normalize": (
            "import os, time\n"
            "for _ in range(4):\n"
            "    if os.fork() == 0:\n"
            f"        b = bytearray({int(MEMORY_MB * 0.45)} * 2**20)\n"
            "        for i in range(0, len(b), 4096):\n"
            "            b[i] = 1\n"
            "        time.sleep(60)\n"
            "        os._exit(0)\n"
            "time.sleep(20)\n" + sol["ex_normalize"]
        ),
    })
    # (3) spawns hundreds of processes
    subs["forkbomb"] = submission(lesson, {
        "ex_count": (
            "import os, time\nkids = []\nfor _ in range(500):\n    pid = os.fork()\n    if pid == 0:\n"
            "        time.sleep(120)\n        os._exit(0)\n    kids.append(pid)\n" + sol["ex_count"]
        ),
        "ex_normalize": sol["ex_normalize"],
    })
    # (4) kills its own kernel in the second exercise
    subs["suicide"] = submission(lesson, {
        "ex_count": sol["ex_count"],
        "ex_normalize": "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n" + sol["ex_normalize"],
    })
    # (5) edits a test cell, changes another's type and points, deletes a third
    nb = submission(lesson, {"ex_count": WRONG_COUNT, "ex_normalize": WRONG_NORMALIZE})
    _cell(nb, "test_count").source = "pass  # tests removed"
    _cell(nb, "test_count").metadata["nbgrader"]["points"] = 100
    victim = _cell(nb, "test_normalize")
    nb.cells[nb.cells.index(victim)] = nbformat.v4.new_markdown_cell(victim.source, metadata=victim.metadata)
    _cell(nb, "setup").source += "\ncount = lambda tokens, word: 0"
    subs["tests_edited"] = _drop(nb, "test_normalize_partial")
    # (6) monkeypatches the comparison helpers the tests use
    subs["monkeypatch"] = submission(lesson, {
        "ex_count": "import builtins\nimport numpy as np\nimport numpy.testing\n"
                    "np.allclose = lambda *a, **k: True\nnp.testing.assert_allclose = lambda *a, **k: None\n"
                    "builtins.abs = lambda x: 0\n" + WRONG_COUNT,
        "ex_normalize": WRONG_NORMALIZE,
    })
    # (6b) hides errors and fakes results with IPython hooks
    subs["hooks"] = submission(lesson, {
        "ex_count": "ip = get_ipython()\nip.set_custom_exc((AssertionError,), lambda *a, **k: None)\n"
                    "ip.events.register('post_run_cell', lambda result: __import__('sys').displayhook(2))\n"
                    + WRONG_COUNT,
        "ex_normalize": WRONG_NORMALIZE,
    })
    # (7) prints text that looks like a pass
    subs["fake_pass"] = submission(lesson, {
        "ex_count": "print('All tests passed! Score: 5/5')\n"
                    "def count(tokens, word):\n    print('test_count ... ok (2/2 points)')\n    return -1",
        "ex_normalize": "print('test_normalize ... ok')\n" + WRONG_NORMALIZE,
    })
    # (8) tries to read solutions/ and the gradebook (and use what it finds)
    secrets = [str(SOURCE.resolve()), str((out / "gradebook.db").resolve()),
               str((root / "alice" / LESSON / f"{LESSON}.ipynb").resolve()),
               str(COURSE.parents[3] / "autograder" / "nbgrader_config.py"), "/root/.bashrc", "/etc/shadow"]
    subs["reader"] = submission(lesson, {"ex_count": (
        "import glob, json\n"
        f"SECRETS = {secrets!r} + glob.glob('/tmp/**/*.db', recursive=True) + glob.glob('/work/*/solutions/*')\n"
        "for path in SECRETS:\n"
        "    try:\n"
        "        with open(path, 'rb') as fh:\n"
        "            print('LE' + 'AK:', path, fh.read(40))\n"
        "    except Exception as err:\n"
        "        print('BLO' + 'CKED:', path, type(err).__name__)\n"
        "def count(tokens, word):\n"
        f"    nb = json.load(open({secrets[0]!r}))\n"
        "    src = [''.join(c['source']) for c in nb['cells'] if 'def count' in ''.join(c['source'])][0]\n"
        "    ns = {}\n    exec(src, ns)\n    return ns['count'](tokens, word)\n"
    )})
    # (9) tries to write the gradebook and another student's notebook
    subs["writer"] = submission(lesson, {"ex_count": (
        "import glob, sqlite3\n"
        f"TARGETS = [{str((out / 'gradebook.db').resolve())!r}] + glob.glob('/tmp/**/*.db', recursive=True)\n"
        "for path in TARGETS:\n"
        "    try:\n"
        "        con = sqlite3.connect(path)\n"
        "        con.execute('UPDATE grade SET auto_score = 100')\n"
        "        con.commit()\n"
        "        print('WRO' + 'TE:', path)\n"
        "    except Exception as err:\n"
        "        print('BLO' + 'CKED:', path, err)\n"
        "try:\n"
        f"    open({str((root / 'bob' / LESSON / f'{LESSON}.ipynb').resolve())!r}, 'w').write('{{}}')\n"
        "    print('WRO' + 'TE: bob')\n"
        "except Exception as err:\n"
        "    print('BLO' + 'CKED: bob', err)\n" + WRONG_COUNT
    )})
    # (10) opens network connections (the host's loopback and the Internet)
    subs["network"] = submission(lesson, {"ex_count": (
        "import socket\n"
        f"for address in [('127.0.0.1', {port}), ('1.1.1.1', 53), ('::1', {port})]:\n"
        "    try:\n"
        "        socket.create_connection(address, timeout=2).close()\n"
        "        print('CONN' + 'ECTED', address)\n"
        "    except OSError as err:\n"
        "        print('BLO' + 'CKED:', address, err)\n" + WRONG_COUNT
    )})
    # (12) an old copy of the notebook, without the second exercise
    subs["old_copy"] = _drop(submission(lesson, {"ex_count": sol["ex_count"]}),
                             "ex_normalize", "test_normalize", "test_normalize_partial")

    paths = {}
    for student, nb in subs.items():
        paths[student] = write(nb, root / student / LESSON / f"{LESSON}.ipynb")
    # (11) not a notebook: four ways
    for student, content in {
        "not_json": b"this is not json {",
        "not_notebook": json.dumps({"hello": "world"}).encode(),
        "empty": b"",
        "binary": bytes(range(256)) * 4,
    }.items():
        path = root / student / LESSON / f"{LESSON}.ipynb"
        path.parent.mkdir(parents=True)
        path.write_bytes(content)
        paths[student] = path
    return paths


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    require_sandbox(LIMITS)
    tmp = tmp_path_factory.mktemp("attacks")
    lesson = prepare_lessons({LESSON: SOURCE}, tmp / "lesson.db")[LESSON]
    root, out = tmp / "class", tmp / "out"
    listener = Listener()
    try:
        paths = build_class(root, lesson, out, listener.port)
        hashes = {s: hashlib.sha256(p.read_bytes()).hexdigest() for s, p in paths.items()}
        run = grade(GradeOptions(submissions=root, out=out, workers=2, limits=LIMITS, source=COURSE, progress=False))
    finally:
        listener.close()
    rows = {r["student"]: r for r in csv.DictReader(open(out / "grades.csv"))}
    report = {r["student"]: r for r in json.loads((out / "report.json").read_text())["submissions"]}
    return {"rows": rows, "report": report, "out": out, "paths": paths, "hashes": hashes,
            "connections": listener.connections, "run": run}


def feedback(graded, student) -> str:
    """The text of a student's feedback page (tags stripped, entities decoded)."""
    page = (graded["out"] / "feedback" / student / LESSON / f"{LESSON}.html").read_text()
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def score(graded, student) -> float:
    """The automatic score (the fixture's written question is left as released by every submission)."""
    return float(graded["rows"][student]["auto_score"])


def status(graded, student) -> str:
    return graded["rows"][student]["status"]


def test_every_submission_has_one_row_and_honest_students_are_unaffected(graded):
    rows = graded["rows"]
    assert set(rows) == set(graded["paths"]), "one row per submission, none lost"
    assert (score(graded, "alice"), status(graded, "alice")) == (5.0, "ok")
    assert (score(graded, "bob"), status(graded, "bob")) == (0.0, "ok")
    assert (score(graded, "carol"), status(graded, "carol")) == (2.0, "ok")
    assert all((r["auto_max_score"], r["max_score"]) == ("5", "6") for r in rows.values())


def test_01_infinite_loop_is_interrupted_and_the_rest_still_graded(graded):
    assert status(graded, "loop") == "timeout"
    assert score(graded, "loop") == 3.0, "exercise 2 was solved and must keep its 3 points"
    cells = {c["grade_id"]: c for c in graded["report"]["loop"]["cells"] if c.get("grade_id")}
    assert cells["ex_count"]["status"] == "timeout"


def test_01b_loop_ignoring_interrupts_is_killed(graded):
    assert status(graded, "loop_noint") == "timeout"
    assert score(graded, "loop_noint") == 2.0, "only the test that ran before the loop counts"
    assert graded["report"]["loop_noint"]["seconds"] < LIMITS.notebook_timeout


def test_02_memory_hog_gets_memory_status(graded):
    assert status(graded, "memory") == "memory"
    assert score(graded, "memory") == 3.0  # its count() never got defined; normalize is right


def test_02b_memory_spread_over_processes_is_counted_together(graded):
    assert status(graded, "memory_split") == "memory"
    assert score(graded, "memory_split") == 2.0
    assert graded["report"]["memory_split"]["resources"]["memory_mb"] > MEMORY_MB


def test_03_fork_bomb_hits_the_process_limit(graded):
    assert status(graded, "forkbomb") == "processes"
    assert score(graded, "forkbomb") <= 3.0
    assert graded["report"]["forkbomb"]["resources"]["processes"] <= LIMITS.processes


def test_04_killing_the_kernel_keeps_earlier_points_only(graded):
    assert status(graded, "suicide") == "kernel-died"
    assert score(graded, "suicide") == 2.0, "tests after the death must not score (nbgrader gives them full marks)"
    cells = {c["grade_id"]: c for c in graded["report"]["suicide"]["cells"] if c.get("grade_id")}
    assert cells["test_normalize"]["points"] == 0 and cells["test_normalize_partial"]["points"] == 0


def test_05_edited_retyped_and_deleted_test_cells_are_restored(graded):
    assert score(graded, "tests_edited") == 0.0
    assert status(graded, "tests_edited") == "cells-missing"
    detail = graded["report"]["tests_edited"]["detail"]
    assert "test_normalize_partial" in detail and "cells-restored" in detail
    restored = graded["report"]["tests_edited"]["restored"]
    assert {"test_count", "test_normalize", "setup"} <= set(restored["edited"])


def test_06_monkeypatched_helpers_are_detected(graded):
    assert status(graded, "monkeypatch") == "tampered"
    assert score(graded, "monkeypatch") == 0.0
    assert "numpy.allclose" in graded["report"]["monkeypatch"]["detail"]


def test_06b_hooks_hiding_errors_and_faking_results_are_detected(graded):
    assert status(graded, "hooks") == "tampered"
    assert score(graded, "hooks") == 0.0


def test_07_printing_a_pass_earns_nothing(graded):
    assert (score(graded, "fake_pass"), status(graded, "fake_pass")) == (0.0, "ok")


def test_08_solutions_and_gradebook_are_not_readable(graded):
    page = feedback(graded, "reader")
    assert "BLOCKED:" in page, "the attack ran"
    assert "LEAK:" not in page
    assert score(graded, "reader") == 0.0


def test_09_gradebook_and_other_submissions_are_not_writable(graded):
    page = feedback(graded, "writer")
    assert "BLOCKED:" in page and "WROTE:" not in page
    assert score(graded, "writer") == 0.0
    assert hashlib.sha256(graded["paths"]["bob"].read_bytes()).hexdigest() == graded["hashes"]["bob"]
    with sqlite3.connect(graded["out"] / "gradebook.db") as con:
        assert con.execute("SELECT MAX(auto_score) FROM grade").fetchone()[0] <= 2.0


def test_10_no_network_not_even_the_hosts_loopback(graded):
    page = feedback(graded, "network")
    assert "BLOCKED:" in page and "CONNECTED" not in page
    assert graded["connections"] == 0
    assert score(graded, "network") == 0.0


@pytest.mark.parametrize("student", ["not_json", "not_notebook", "empty", "binary"])
def test_11_not_a_notebook(graded, student):
    assert (score(graded, student), status(graded, student)) == (0.0, "invalid-notebook")
    assert "could not be graded" in feedback(graded, student)


def test_12_old_copy_missing_cells(graded):
    assert status(graded, "old_copy") == "cells-missing"
    assert score(graded, "old_copy") == 2.0
    assert "ex_normalize" in graded["report"]["old_copy"]["detail"]


def test_feedback_never_shows_hidden_tests(graded):
    hidden = ["hidden: empty input", "seven times x", "hidden: one non-zero entry", "BEGIN HIDDEN", "[0.5] * 4"]
    for student in ("alice", "bob", "carol", "tests_edited", "monkeypatch"):
        page = feedback(graded, student)
        assert 'count(words, "a")) == 2' in page, "the public tests are shown"
        for text in hidden:
            assert text not in page, f"{student}'s feedback shows hidden test text {text!r}"


def test_probe_cells_do_not_appear_in_feedback(graded):
    assert "integrity" not in feedback(graded, "alice")
    assert "_probe_" not in feedback(graded, "alice")


def test_unexecuted_cells_never_earn_points():
    """nbgrader's rule gives a test cell with no output full marks; ours gives zero."""
    from autograder.scoring import score_test_cell

    cell = new_code_cell("assert f() == 1")
    assert score_test_cell(cell, 2.0, None).score == 0.0
    assert score_test_cell(cell, 2.0, "died").score == 0.0
    assert score_test_cell(copy.deepcopy(cell), 2.0, "ok").score == 2.0
