"""The grader's own red team: attack notebooks for any lesson, graded beside honest students.

Each :class:`Attack` turns a lesson's released notebook into a hostile
submission: wrong answers (the stubs, or look-alike values) plus code that
tries to earn points anyway, leak the hidden tests, or flood the grader. It
names its class and what grading must conclude:

* ``statuses``: the statuses that name the attack (``tampered``, ``output-limit``, ...);
* ``honest_points``: the attack's answers are the real solutions (a leak
  attack), so full marks are earned; otherwise the score must be 0;
* every feedback page stays under :data:`FEEDBACK_LIMIT` and shows no
  hidden-test line, and the honest students of the same class are unaffected.

Nothing here is lesson-specific: attacks are inserted as a cell after the
first exercise's solution cell, and look-alike answers are generated from the
names the solution cells define. ``python -m autograder.redteam 01 04 08``
grades the whole catalogue on those lessons and writes a report
(``make redteam``); the test suite grades the catalogue on a tiny lesson and
a fixed sample on real ones (tests/test_redteam.py).
"""

from __future__ import annotations

import ast
import copy
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from nbformat import NotebookNode
from nbformat.v4 import new_code_cell, new_markdown_cell

from .classgen import solution_sources, submission, write
from .gradebook import LessonInfo

FEEDBACK_LIMIT = 5 << 20
HONEST = ("honest", "stub")


@dataclass
class Attack:
    name: str
    kind: str  # the attack class
    code: str  # the hostile cell
    statuses: tuple[str, ...] = ("tampered",)
    honest_points: bool = False  # answers are the real solutions (leak attacks): full marks are earned
    lookalike: bool = False  # answers are functions returning look-alike values, not the stubs
    midtest: bool = False  # ... which also rebind the tests' names while the tests run
    where: str = "first"  # "first": after the first solution cell; "last": after the last one
    extra: Callable[[NotebookNode], None] | None = field(default=None, repr=False)


ALWAYS = '''
class _Always(list):
    """Equal to, close to, smaller and larger than everything."""
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    __lt__ = __le__ = __gt__ = __ge__ = __eq__
    def __abs__(self): return 0
    def __sub__(self, other): return _Always()
    __rsub__ = __add__ = __radd__ = __mul__ = __rmul__ = __truediv__ = __rtruediv__ = __pow__ = __sub__
    def __getitem__(self, key): return _Always()
    def __getattr__(self, name): return lambda *a, **k: _Always()
    def __call__(self, *a, **k): return _Always()
    def __len__(self): return 1
    def __iter__(self): return iter([_Always()])
    def __float__(self): return 0.0
    def __int__(self): return 0
    def __bool__(self): return True
    def __hash__(self): return 0
    def __array__(self, *a, **k):
        import numpy
        return numpy.zeros(1)
'''

CATALOGUE: tuple[Attack, ...] = (
    # --- rewriting or hiding execution through IPython's hooks
    Attack("ast_assert_pass", "hooks", '''import ast
class _NoAssert(ast.NodeTransformer):
    def visit_Assert(self, node):
        return ast.Pass()
get_ipython().ast_transformers.append(_NoAssert())'''),
    Attack("ast_drop_tests", "hooks", '''import ast
class _Drop(ast.NodeTransformer):
    def visit_Module(self, node):
        if any(isinstance(n, ast.Assert) for n in ast.walk(node)):
            node.body = [ast.Pass()]
        return node
get_ipython().ast_transformers.insert(0, _Drop())'''),
    Attack("input_cleanup", "hooks", '''def _blank(lines):
    return ["pass\\n"] if any("assert" in line for line in lines) else lines
get_ipython().input_transformers_cleanup.append(_blank)'''),
    Attack("input_post", "hooks", '''def _blank(lines):
    return ["pass\\n"] if any("assert" in line for line in lines) else lines
get_ipython().input_transformers_post.append(_blank)'''),
    Attack("custom_exc", "hooks", '''def _swallow(shell, etype, value, tb, tb_offset=None):
    return None
get_ipython().set_custom_exc((BaseException,), _swallow)'''),
    Attack("showtraceback", "hooks", '''get_ipython().showtraceback = lambda *a, **k: None
get_ipython()._showtraceback = lambda *a, **k: None'''),
    Attack("class_patch", "hooks", '''from IPython.core.interactiveshell import InteractiveShell
InteractiveShell.showtraceback = lambda *a, **k: None'''),
    Attack("post_run_cell", "hooks", '''def _forget(result):
    result.error_in_exec = None
    result.error_before_exec = None
get_ipython().events.register("post_run_cell", _forget)'''),
    Attack("trace", "hooks", '''import sys
def _tracer(frame, event, arg):
    return None
try:
    sys.settrace(_tracer)
except RuntimeError:
    pass'''),
    # IPython reports a cell's errors itself: replacing these changes nothing, and the points stay 0
    Attack("excepthook", "hooks", '''import sys
sys.excepthook = lambda *a: None
sys.displayhook = lambda value: None''', statuses=("tampered", "ok")),
    Attack("thread_reinstall", "hooks", '''import ast, threading, time
class _NoAssert(ast.NodeTransformer):
    def visit_Assert(self, node):
        return ast.Pass()
def _again():
    while True:
        if not get_ipython().ast_transformers:
            get_ipython().ast_transformers.append(_NoAssert())
        time.sleep(0.0005)
threading.Thread(target=_again, daemon=True).start()'''),
    Attack("alarm", "hooks", '''import ast, signal
class _NoAssert(ast.NodeTransformer):
    def visit_Assert(self, node):
        return ast.Pass()
def _again(signum, frame):
    get_ipython().ast_transformers[:] = [_NoAssert()]
signal.signal(signal.SIGALRM, _again)
signal.setitimer(signal.ITIMER_REAL, 0.001, 0.001)'''),
    Attack("gc_callback", "hooks", '''import gc
def _cb(phase, info):
    pass
gc.callbacks.append(_cb)'''),
    Attack("kernel_do_execute", "hooks", '''_kernel = get_ipython().kernel
_orig = _kernel.do_execute
async def _ok(code, silent, store_history=True, user_expressions=None, allow_stdin=False, **kw):
    reply = await _orig(code, silent, store_history, user_expressions, allow_stdin, **kw)
    reply["status"] = "ok"
    return reply
_kernel.do_execute = _ok'''),
    Attack("session_send", "hooks", '''_session = get_ipython().kernel.session
_send = _session.send
def _quiet(stream, msg_or_type, content=None, *a, **k):
    kind = msg_or_type if isinstance(msg_or_type, str) else msg_or_type.get("msg_type")
    if kind == "error":
        return None
    if kind == "execute_reply" and isinstance(content, dict):
        content = dict(content, status="ok")
    return _send(stream, msg_or_type, content, *a, **k)
_session.send = _quiet'''),
    Attack("guard_replaced", "hooks", '''import sys
_g = sys.modules.get("_seqnlp_guard")
if _g is not None:
    _g.reset = lambda *a, **k: None'''),
    Attack("gc_walk", "hooks", '''import gc
try:
    [o for o in gc.get_objects() if type(o).__name__ == "Guard"]
except RuntimeError:
    pass'''),
    # --- replacing what the tests read
    # the kernel itself uses these builtins: it may stop answering before a reset can run
    Attack("builtins_patch", "builtins", '''import builtins
builtins.isinstance = lambda *a: True
builtins.abs = lambda x: 0''', statuses=("tampered", "timeout", "kernel-died")),
    Attack("shadow_builtins", "builtins", '''_yes = lambda *a, **k: True
for _name in ("abs", "all", "any", "isinstance", "bool", "float", "int", "str", "len", "sorted", "sum", "max",
              "min", "round", "zip", "set", "list", "tuple", "dict", "type", "hasattr", "callable"):
    globals()[_name] = _yes'''),
    Attack("dunder_builtins", "builtins", '''import builtins as _b
_fake = dict(vars(_b))
_fake["abs"] = lambda x: 0
_fake["all"] = lambda x: True
get_ipython().user_ns["__builtins__"] = _fake'''),
    Attack("fake_numpy", "modules", '''import sys, types
import numpy as _np
_fake = types.ModuleType("numpy")
_fake.__dict__.update({k: getattr(_np, k) for k in dir(_np) if not k.startswith("__")})
_fake.allclose = lambda *a, **k: True
_fake.isclose = lambda *a, **k: True
sys.modules["numpy"] = _fake
np = _fake'''),
    Attack("patch_checks", "modules", '''import seqnlp.checks as _c
_c.as_float = lambda value, name="result": 0.0
_c.as_array = lambda value, *a, **k: __import__("numpy").zeros(1)'''),
    Attack("meta_path", "modules", '''import sys
class _Finder:
    def find_spec(self, name, path=None, target=None):
        return None
sys.meta_path.insert(0, _Finder())'''),
    Attack("numpy_helpers", "modules", '''import numpy
numpy.allclose = lambda *a, **k: True
numpy.isclose = lambda *a, **k: True
numpy.array_equal = lambda *a, **k: True'''),
    # --- look-alike values
    Attack("lookalike", "values", ALWAYS, statuses=("ok", "tampered"), lookalike=True),
    Attack("midtest_rebind", "values", "", statuses=("tampered",), midtest=True),
    # --- leaks of the hidden tests (honest answers: the points are earned, the feedback must not leak)
    Attack("history_leak", "leak", '''ip = get_ipython()
print("\\n".join(ip.user_ns.get("In", [])))
print("\\n".join(src for _, _, src in ip.history_manager.get_range(output=False)))''',
           statuses=("ok",), honest_points=True, where="last"),
    Attack("linecache_leak", "leak", '''import linecache, base64
print("\\n".join(linecache.getlines(name)[0] if linecache.getlines(name) else "" for name in list(linecache.cache)))
_all = "".join("".join(linecache.getlines(n)) for n in list(linecache.cache))
print(base64.b64encode(_all.encode()).decode()[:4000])''',
           statuses=("ok",), honest_points=True, where="last"),
    # --- floods and markup
    Attack("traceback_flood", "flood", '''import time
_start = time.time()
while time.time() - _start < 120:
    try:
        raise ValueError("x" * (8 << 20))
    except ValueError:
        get_ipython().showtraceback()''', statuses=("output-limit", "timeout")),
    # one huge error, then the flood's interrupt ends the cell with an error of its own (a quiet "ok" before)
    Attack("error_flood_once", "flood", '''import time
try:
    raise ValueError("x" * (9 << 20))
except ValueError:
    get_ipython().showtraceback()
time.sleep(60)''', statuses=("output-limit",)),
    Attack("display_flood", "flood", '''from IPython.display import HTML, display
for _ in range(400):
    display(HTML("<b>" + "y" * (1 << 20) + "</b>"))''', statuses=("output-limit",)),
    Attack("huge_error", "flood", '''raise RuntimeError("z" * (40 << 20))''',
           statuses=("output-limit", "ok", "timeout")),
    Attack("html_script", "markup", '''from IPython.display import HTML, Javascript, display
display(HTML("<script>document.title='pwned'</script><img src=x onerror=alert(1)><b>hi</b>"))
display(Javascript("alert(2)"))''', statuses=("ok",),
           extra=lambda nb: nb.cells.append(new_markdown_cell("<script>alert(3)</script><iframe src='x'></iframe>"))),
    Attack("written_markup", "markup", "pass", statuses=("ok",), extra=lambda nb: hostile_written_answers(nb)),
)

HOSTILE_ANSWER = ("My answer. <script>alert(4)</script><img src=x onerror=alert(5)> [see](javascript:alert(6)) "
                  "[again](JaVa&#115;cript:alert(7)) <a href='javascript:alert(8)'>here</a>")


def hostile_written_answers(nb: NotebookNode) -> None:
    """Every written answer (manually graded answer cell) as script, markup and script links; else a new cell."""
    written = [c for c in nb.cells if c.cell_type == "markdown"
               and c.get("metadata", {}).get("nbgrader", {}).get("grade") and c.metadata["nbgrader"].get("solution")]
    for cell in written:
        cell.source = HOSTILE_ANSWER
    if not written:
        nb.cells.append(new_markdown_cell(HOSTILE_ANSWER))


def by_name(names: list[str] | None = None) -> list[Attack]:
    if not names:
        return list(CATALOGUE)
    known = {a.name: a for a in CATALOGUE}
    return [known[n] for n in names]


def defined_names(source: str) -> list[tuple[str, str]]:
    """``[(name, "def"|"class")]`` that a solution cell defines at top level."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    out = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            out.append((node.name, "def"))
        elif isinstance(node, ast.ClassDef):
            out.append((node.name, "class"))
    return out


MIDTEST = '''
def _rebind_while_tested():
    """Called by the tests: rebind what they read (builtins, their own helpers) while they run."""
    import sys
    g = sys._getframe(1).f_globals
    yes = lambda *a, **k: True
    for name in ("abs", "all", "any", "bool", "isinstance", "len", "float", "int", "max", "min", "sum", "round"):
        g[name] = yes
    for name, value in list(g.items()):
        if name.startswith("_") and callable(value) and not name.startswith("__") and name != "_rebind_while_tested":
            g[name] = yes
'''


def midtest_answers(solutions: dict[str, str]) -> dict[str, str]:
    """Look-alike answers that, every time a test calls them, rebind the names the test reads."""
    out = {}
    for gid, source in lookalike_answers(solutions).items():
        out[gid] = source.replace("    return _Always()", "    _rebind_while_tested()\n    return _Always()")
        out[gid] = MIDTEST + out[gid].replace(
            "    def __init__(self, *args, **kwargs):\n        pass",
            "    def __init__(self, *args, **kwargs):\n        _rebind_while_tested()")
    return out


def lookalike_answers(solutions: dict[str, str]) -> dict[str, str]:
    """Every name a solution cell defines, returning (or being) a look-alike object."""
    out = {}
    for gid, source in solutions.items():
        lines = [ALWAYS]
        for name, kind in defined_names(source):
            if kind == "def":
                lines.append(f"def {name}(*args, **kwargs):\n    return _Always()")
            else:
                lines.append(f"class {name}(_Always):\n    def __init__(self, *args, **kwargs):\n        pass")
        out[gid] = "\n".join(lines)
    return out


def attack_notebook(attack: Attack, lesson: LessonInfo, solutions: dict[str, str]) -> NotebookNode:
    """The lesson's released notebook with the attack's answers and hostile cell."""
    if attack.honest_points:
        answers = dict(solutions)
    elif attack.midtest:
        answers = midtest_answers(solutions)
    elif attack.lookalike:
        answers = lookalike_answers(solutions)
    else:
        answers = {}
    nb = submission(lesson, answers)
    order = [i for i, c in enumerate(nb.cells) if c.get("metadata", {}).get("nbgrader", {}).get("solution")]
    if order:
        at = (order[0] if attack.where == "first" else order[-1]) + 1
        nb.cells.insert(at, new_code_cell("pass" if attack.lookalike or attack.midtest else attack.code))
    if attack.extra is not None:
        attack.extra(nb)
    return nb


def build_class(root: Path, lessons: dict[str, LessonInfo], sources: dict[str, Path],
                attacks: list[Attack]) -> dict[tuple[str, str], str]:
    """Write honest, stub and attack submissions for every lesson; return ``{(student, lesson): role}``."""
    roles = {}
    for name, lesson in lessons.items():
        solutions = solution_sources(sources[name])
        write(submission(lesson, solutions), root / "honest" / name / f"{name}.ipynb")
        write(submission(lesson, {}), root / "stub" / name / f"{name}.ipynb")
        roles[("honest", name)] = "honest"
        roles[("stub", name)] = "stub"
        for attack in attacks:
            student = f"rt_{attack.name}"
            write(attack_notebook(attack, lesson, solutions), root / student / name / f"{name}.ipynb")
            roles[(student, name)] = attack.name
    return roles


def hidden_lines_of(lesson: LessonInfo) -> list[str]:
    from .feedback import hidden_texts

    return [line for line in hidden_texts(lesson) if len(line) > 25]


@dataclass
class Verdict:
    student: str
    lesson: str
    attack: str
    kind: str
    score: float
    max_score: float
    status: str
    feedback_bytes: int
    leaked_lines: int
    script_in_feedback: bool
    problems: list[str]

    @property
    def held(self) -> bool:
        return not self.problems


def judge(out: Path, roles: dict[tuple[str, str], str], lessons: dict[str, LessonInfo]) -> list[Verdict]:
    """Check every graded submission of a red-team class against what its role requires."""
    import csv
    import html
    import re

    rows = {(r["student"], r["lesson"]): r for r in csv.DictReader(open(out / "grades.csv", encoding="utf-8"))}
    attacks = {a.name: a for a in CATALOGUE}
    hidden = {name: hidden_lines_of(lesson) for name, lesson in lessons.items()}
    verdicts = []
    for (student, lesson), role in sorted(roles.items()):
        row = rows.get((student, lesson))
        problems = []
        if row is None:
            verdicts.append(Verdict(student, lesson, role, "-", 0, 0, "missing", 0, 0, False, ["no grade row"]))
            continue
        # the automatic part: written answers wait for hand grading, no attack can score them
        score, max_score, status = float(row["auto_score"]), float(row["auto_max_score"]), row["status"]
        if row["manual_score"] not in ("", "0"):
            problems.append(f"written answers scored {row['manual_score']} before anyone graded them by hand")
        page = out / "feedback" / student / lesson / f"{lesson}.html"
        body = page.read_text(encoding="utf-8", errors="replace") if page.is_file() else ""
        size = len(body.encode("utf-8"))
        text = html.unescape(re.sub(r"<[^>]+>", "", body))
        leaked = sum(1 for line in hidden[lesson] if line in text)
        student_script = bool(re.search(r"<script>document\.title|<img src=x onerror|<script>alert|<iframe src"
                                        r"""|(href|src)\s*=\s*["']?\s*javascript:""", body, re.IGNORECASE))
        if role == "honest":
            kind = "reference"
            if status != "ok" or score != max_score:
                problems.append(f"honest student got {score:g}/{max_score:g} ({status})")
        elif role == "stub":
            kind = "reference"
            if status != "ok" or score != 0:
                problems.append(f"stub got {score:g}/{max_score:g} ({status})")
        else:
            attack = attacks[role]
            kind = attack.kind
            earned = max_score if attack.honest_points else 0.0
            if score > earned:
                problems.append(f"{score - earned:g} unearned points")
            if status not in attack.statuses:
                problems.append(f"status {status}, expected one of {', '.join(attack.statuses)}")
        if size > FEEDBACK_LIMIT:
            problems.append(f"feedback page of {size >> 20} MiB")
        if leaked:
            problems.append(f"{leaked} hidden-test lines in the feedback")
        if student_script:
            problems.append("student script in the feedback")
        verdicts.append(Verdict(student, lesson, role, kind, score, max_score, status, size, leaked,
                                student_script, problems))
    return verdicts


def report_markdown(verdicts: list[Verdict]) -> str:
    lines = ["| lesson | attack | class | points | status | feedback | held |", "|---|---|---|---|---|---|---|"]
    for v in verdicts:
        lines.append(f"| {v.lesson} | {v.attack} | {v.kind} | {v.score:g}/{v.max_score:g} | {v.status} | "
                     f"{v.feedback_bytes / 1024:.0f} KiB | {'yes' if v.held else 'NO: ' + '; '.join(v.problems)} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Grade the whole catalogue on the given lessons; write ``benchmarks/results/redteam.{json,md}``."""
    import argparse
    import shutil
    import tempfile

    from .grade import GradeOptions, grade
    from .gradebook import prepare_lessons
    from .lessons import REPO_ROOT, resolve_lesson, source_notebook
    from .sandbox import Limits

    parser = argparse.ArgumentParser(prog="python -m autograder.redteam", description=main.__doc__)
    parser.add_argument("lessons", nargs="*", default=["01", "04", "08"])
    parser.add_argument("--attacks", nargs="*", default=None)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "benchmarks" / "results")
    args = parser.parse_args(argv)
    names = [resolve_lesson(n) for n in args.lessons]
    work = Path(tempfile.mkdtemp(prefix="seqnlp-redteam-"))
    try:
        sources = {n: source_notebook(n) for n in names}
        lessons = prepare_lessons(sources, work / "lessons.db")
        roles = build_class(work / "class", lessons, sources, by_name(args.attacks))
        grade(GradeOptions(submissions=work / "class", out=work / "out", workers=args.workers, progress=True,
                           limits=Limits(cell_timeout=60, notebook_timeout=600)))
        verdicts = judge(work / "out", roles, lessons)
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "redteam.json").write_text(json.dumps([copy.copy(v.__dict__) for v in verdicts], indent=1))
        (args.out / "redteam.md").write_text("# Red team: every attack, graded beside honest students\n\n"
                                             "`make redteam` (python -m autograder.redteam) wrote this.\n\n"
                                             + report_markdown(verdicts))
        print(report_markdown(verdicts))
        return 0 if all(v.held for v in verdicts) else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
