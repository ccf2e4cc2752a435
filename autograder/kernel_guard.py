"""The grading kernel's main program: an IPython kernel that can put its hooks back.

Run inside the sandbox instead of ``python -m ipykernel_launcher`` (same
arguments). It uses only the standard library and what the kernel itself
imports, and runs before any student code:

1. An audit hook (:pep:`578`) refuses what no graded notebook needs and what
   would let student code outlive a reset: more audit hooks, trace and profile
   functions, and, from notebook code, ``ctypes`` and the ``gc`` object
   walkers. Each refusal is remembered and reported by the next reset.
2. The grader's first cell, which runs before any student code, calls
   :meth:`Guard.arm`: it snapshots every hook the kernel offers for
   rewriting, hiding or faking execution (see :meth:`Guard.snapshot`), as they
   are while a cell runs.
3. The grader puts a *reset cell* before every graded test cell. It calls
   :meth:`Guard.reset`, which puts every hook back to the snapshot and answers,
   like the integrity probes, with an ``AssertionError`` carrying the cell's
   nonce: ``"<nonce> ok"``, ``"<nonce> ok; reset: ..."`` (harmless changes
   put back) or ``"<nonce> integrity: ..."`` (the notebook had changed
   something that decides grades: the submission is ``tampered``).

This is defence in depth, not a proof: code written against this very file
can still fool it, which is why tests also compare plain values
(:mod:`seqnlp.checks`) and the probes ask questions with known answers.
"""

from __future__ import annotations

import sys

GUARD_MODULE = "_seqnlp_guard"
PRELOAD = ("math", "operator", "json", "numpy", "seqnlp.checks")  # numpy.testing: the probes check it
# modules whose namespaces the reset restores (callables and classes put back)
GUARDED_MODULES = (
    "sys", "math", "operator", "json", "ast", "codeop", "traceback", "linecache", "asyncio",
    "numpy", "numpy.testing", "seqnlp.checks",
    "IPython.core.interactiveshell", "IPython.core.ultratb", "IPython.core.displayhook",
    "IPython.core.displaypub", "IPython.core.formatters", "IPython.core.compilerop", "IPython.core.events",
    "IPython.core.inputtransformer2", "IPython.core.async_helpers",
    "ipykernel.ipkernel", "ipykernel.kernelbase", "ipykernel.zmqshell", "ipykernel.iostream",
    "ipykernel.displayhook", "ipykernel.compiler", "jupyter_client.session", "jupyter_client.jsonutil",
)
# namespaces of libraries imported after the snapshot: a callable written in the notebook there is tampering
WATCHED_NAMESPACES = (
    "torch", "torch.Tensor", "torch.nn.Module", "torch.nn.functional", "torch.testing", "torch.linalg",
    "torch.nn.utils.rnn", "pandas", "pandas.DataFrame", "pandas.Series", "pandas.testing", "tensorflow",
    "keras", "keras.ops", "sklearn.metrics", "scipy.special", "seqnlp", "numpy.linalg", "numpy.random",
)
IGNORED_BUILTINS = frozenset({"_", "__", "___", "input", "raw_input"})  # set per execution by the kernel


class _Refused(RuntimeError):
    pass


class Verdict(AssertionError):
    """The guard's answer to the grader: an ``AssertionError`` carrying the cell's nonce.

    IPython shows it without formatting a traceback (``_render_traceback_``): the
    grader reads only the error's name and message, and formatting the frames of a
    reset (pygments, stack_data) cost more than the reset itself. The error still
    travels the kernel's whole reporting path (``showtraceback``, the iopub message).
    """

    def _render_traceback_(self) -> list[str]:
        return [f"AssertionError: {self}"]


Verdict.__name__ = Verdict.__qualname__ = "AssertionError"  # what the kernel reports as the error's name


def _code_of(obj):
    """The code object that runs when ``obj`` is called, when there is one."""
    for _ in range(4):
        code = getattr(obj, "__code__", None)
        if code is not None:
            return code
        inner = getattr(obj, "__func__", None) or getattr(obj, "func", None)
        if inner is None:
            return None
        obj = inner
    return None


class Guard:
    """Snapshot and reset of the kernel's hooks (one per kernel, created by :func:`main`)."""

    def __init__(self, app):
        import os

        self.app = app
        self.shell = app.shell
        self.kernel = app.kernel
        roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, "/usr/lib", "/usr/local/lib"}
        roots |= {os.path.realpath(r) for r in list(roots)}
        roots.add(os.path.dirname(os.path.abspath(__file__)))
        extra = os.environ.get("SEQNLP_TRUSTED_CODE", "")
        roots |= {r for r in extra.split(os.pathsep) if r}
        self.trusted_roots = tuple(sorted(r.rstrip("/") + "/" for r in roots if r))
        self.refused: list[str] = []
        self.allow_tracing = False
        self._snap: dict = {}

    # ------------------------------------------------------------------ origins
    def from_notebook_file(self, filename: str) -> bool:
        """Cells compile to ``/tmp/ipykernel_*/*.py`` or ``<...>``; compiled extensions name relative files."""
        if filename.startswith("<"):
            return not filename.startswith("<frozen")
        return filename.startswith("/") and not filename.startswith(self.trusted_roots)

    def from_notebook(self, obj) -> bool:
        """True when calling ``obj`` runs code that was not installed with Python or the course."""
        code = _code_of(obj)
        if code is None:  # a class or a callable instance: any of its own methods written in the notebook
            cls = obj if isinstance(obj, type) else type(obj)
            for klass in getattr(cls, "__mro__", ())[:-1]:
                for value in list(vars(klass).values()):
                    inner = _code_of(value)
                    if inner is not None and self.from_notebook_file(inner.co_filename):
                        return True
            return False
        return self.from_notebook_file(code.co_filename)

    # ------------------------------------------------------------------ audit hook
    def audit(self, event: str, args: tuple) -> None:
        if event == "sys.addaudithook":
            self.refused.append("tried to add an audit hook (refused)")
            raise _Refused("the grading kernel does not allow audit hooks")
        if event in ("sys.settrace", "sys.setprofile"):
            if self.allow_tracing:
                return
            what = "trace" if event == "sys.settrace" else "profile"
            self.refused.append(f"tried to install a {what} function (refused)")
            raise _Refused(f"the grading kernel does not allow {event}")
        if event.startswith("ctypes.") or event in ("gc.get_objects", "gc.get_referrers", "gc.get_referents"):
            if self._caller_is_notebook():
                self.refused.append(f"used {event} (refused)")
                raise _Refused(f"the grading kernel does not allow {event} from notebook code")

    def _caller_is_notebook(self) -> bool:
        frame = sys._getframe(2)
        depth = 0
        while frame is not None and depth < 3:
            filename = frame.f_code.co_filename
            if filename != __file__:
                return self.from_notebook_file(filename)
            frame = frame.f_back
            depth += 1
        return False

    # ------------------------------------------------------------------ snapshot
    def _objects(self) -> dict[str, object]:
        shell, kernel = self.shell, self.kernel
        objs = {
            "shell": shell, "kernel": kernel, "session": getattr(kernel, "session", None),
            "displayhook": shell.displayhook, "display_pub": shell.display_pub,
            "display_formatter": shell.display_formatter, "compile": shell.compile,
            "InteractiveTB": shell.InteractiveTB, "SyntaxTB": getattr(shell, "SyntaxTB", None),
            "input_transformer_manager": shell.input_transformer_manager, "events": shell.events,
            "history_manager": shell.history_manager, "builtin_trap": shell.builtin_trap,
            "display_trap": shell.display_trap,
            "iopub_socket": getattr(kernel, "iopub_socket", None),
            "iopub_thread": getattr(kernel, "iopub_thread", None),
        }
        for name, fmt in shell.display_formatter.formatters.items():
            objs[f"formatter {name}"] = fmt
        return {k: v for k, v in objs.items() if v is not None}

    def arm(self, nonce: str) -> None:
        """Take the snapshot: the grader's first cell calls this, before any student code has run."""
        if self._snap:
            raise Verdict(f"{nonce} integrity: the guard was armed twice")
        try:
            self.snapshot()
        except BaseException as err:  # noqa: BLE001
            raise Verdict(f"{nonce} integrity: the guard could not take its snapshot "
                                 f"({type(err).__name__}: {str(err)[:200]})") from None
        raise Verdict(f"{nonce} ok")

    def snapshot(self) -> None:
        """Record the state every reset returns to, from inside a cell that runs before any student code."""
        import gc
        import signal
        import threading

        preload()  # imported at start-up already (main): this only covers a guard started otherwise
        shell = self.shell
        snap = self._snap
        import builtins

        snap["builtins"] = dict(vars(builtins))
        # names the kernel itself binds over a builtin in the notebook's namespace (IPython's own `open`)
        snap["kernel_shadows"] = {name: value for name, value in self.shell.user_ns.items()
                                  if name in snap["builtins"] and not name.startswith("__")}
        snap["sys_hooks"] = {n: getattr(sys, n) for n in ("displayhook", "excepthook", "unraisablehook",
                                                          "breakpointhook", "stdout", "stderr", "stdin")}
        snap["asyncgen"] = sys.get_asyncgen_hooks()
        snap["recursion"] = sys.getrecursionlimit()
        snap["meta_path"] = list(sys.meta_path)
        snap["path_hooks"] = list(sys.path_hooks)
        snap["gc_callbacks"] = list(gc.callbacks)
        snap["modules"] = dict(sys.modules)
        snap["module_dicts"] = {name: dict(vars(sys.modules[name])) for name in GUARDED_MODULES
                                if name in sys.modules}
        snap["threads"] = set(sys._current_frames())
        snap["threading_hooks"] = (getattr(threading, "_trace_hook", None), getattr(threading, "_profile_hook", None))
        handlers = {}
        for sig in sorted(signal.valid_signals()):
            try:
                handlers[sig] = signal.getsignal(sig)
            except (ValueError, OSError):
                pass
        snap["signals"] = handlers
        snap["lists"] = {
            "ast_transformers": list(shell.ast_transformers),
            "input_transformers_cleanup": list(shell.input_transformers_cleanup),
            "input_transformers_post": list(shell.input_transformers_post),
            "input_transformer_manager.cleanup_transforms": list(shell.input_transformer_manager.cleanup_transforms),
            "input_transformer_manager.line_transforms": list(shell.input_transformer_manager.line_transforms),
            "input_transformer_manager.token_transformers":
                list(shell.input_transformer_manager.token_transformers),
        }
        snap["custom_exceptions"] = (shell.custom_exceptions, shell.CustomTB)
        snap["events"] = {name: list(cbs) for name, cbs in shell.events.callbacks.items()}
        snap["compile_flags"] = shell.compile.flags
        snap["formatters"] = {name: (fmt, dict(fmt.type_printers), dict(fmt.deferred_printers),
                                     dict(getattr(fmt, "singleton_printers", {})), fmt.enabled)
                              for name, fmt in shell.display_formatter.formatters.items()}
        snap["user_builtins"] = shell.user_ns.get("__builtins__")
        objects = self._objects()
        snap["objects"] = objects
        snap["types"] = {name: type(obj) for name, obj in objects.items()}
        snap["instance"] = {name: self._callables(getattr(obj, "__dict__", {})) for name, obj in objects.items()}
        snap["traits"] = {name: dict(getattr(obj, "_trait_values", {})) for name, obj in objects.items()}
        classes: dict[type, dict] = {}
        for obj in objects.values():
            for klass in type(obj).__mro__[:-1]:
                if klass not in classes and klass.__module__ != "builtins":
                    classes[klass] = dict(vars(klass))
        snap["classes"] = classes

    @staticmethod
    def _callables(namespace: dict) -> dict:
        return {k: v for k, v in namespace.items() if callable(v)}

    # ------------------------------------------------------------------ reset
    def reset(self, nonce: str, names: list[str] | tuple = (), modules: dict | None = None,
              defined: list[str] | tuple = (), cell_file: str | None = None) -> None:
        """Put every hook back; raise the verdict (always an ``AssertionError`` that carries ``nonce``).

        After a test cell, ``defined`` are the functions and classes that cell defines and
        ``cell_file`` the file name the kernel compiled it under: each must still be the test's own.
        """
        tampered: list[str] = []
        benign: list[str] = []
        if not self._snap:
            raise Verdict(f"{nonce} integrity: the guard was never armed")
        try:
            self._reset(tampered, benign, list(names), dict(modules or {}))
            if cell_file:
                self._check_helpers(tampered, list(defined), cell_file)
        except BaseException as err:  # noqa: BLE001 - report, never hide
            tampered.append(f"the reset itself failed ({type(err).__name__}: {str(err)[:120]})")
        refused, self.refused[:] = list(self.refused), []
        tampered = list(dict.fromkeys(refused + tampered))
        if tampered:
            raise Verdict(f"{nonce} integrity: " + "; ".join(tampered)[:1500])
        if benign:
            raise Verdict(f"{nonce} ok; reset: " + ", ".join(dict.fromkeys(benign))[:600])
        raise Verdict(f"{nonce} ok")

    def _check_helpers(self, tampered: list[str], defined: list[str], cell_file: str) -> None:
        """The test cell's helpers must still be functions compiled from that cell."""
        import os

        user_ns = self.shell.user_ns
        for name in defined:
            value = user_ns.get(name, _MISSING)
            if isinstance(value, type):
                codes = [c for c in (_code_of(v) for v in vars(value).values()) if c is not None]
                if not codes:
                    continue  # a class without methods of its own: nothing to compare
            else:
                code = _code_of(value) if value is not _MISSING else None
                codes = [code] if code is not None else [None]
            if not codes or any(c is None or os.path.basename(c.co_filename) != cell_file for c in codes):
                tampered.append(f"the tests' own {name} was rebound while they ran")

    def _reset(self, tampered: list[str], benign: list[str], names: list[str], modules: dict) -> None:
        import builtins
        import gc
        import signal
        import threading

        snap, shell = self._snap, self.shell
        # tracing and profiling (cannot be installed, but a C extension could)
        self.allow_tracing = True
        try:
            if sys.gettrace() is not None:
                tampered.append("a trace function was installed")
                sys.settrace(None)
            if sys.getprofile() is not None:
                tampered.append("a profile function was installed")
                sys.setprofile(None)
            if (getattr(threading, "_trace_hook", None), getattr(threading, "_profile_hook", None)) != \
                    snap["threading_hooks"]:
                tampered.append("threading trace/profile hooks were installed")
                threading.settrace(snap["threading_hooks"][0])
                threading.setprofile(snap["threading_hooks"][1])
        finally:
            self.allow_tracing = False
        # IPython's transformers, exception handlers, events, compiler
        lists = snap["lists"]
        for label, saved in lists.items():
            owner, _, attr = label.rpartition(".")
            holder = shell.input_transformer_manager if owner else shell
            current = getattr(holder, attr)
            if type(current) is not list or current != saved or any(a is not b for a, b in zip(current, saved,
                                                                                                strict=False)):
                tampered.append(f"{label} were changed")
                if type(current) is list:
                    current[:] = saved  # in place: some of these names are properties over the same list
                else:
                    setattr(holder, attr, list(saved))
        exceptions, custom_tb = snap["custom_exceptions"]
        if shell.custom_exceptions != exceptions or shell.CustomTB is not custom_tb:
            tampered.append("custom exception handlers were installed")
            shell.custom_exceptions, shell.CustomTB = exceptions, custom_tb
        for event, saved in snap["events"].items():
            current = shell.events.callbacks.get(event)
            if current is None or type(current) is not list:
                tampered.append(f"IPython event {event} was replaced")
                shell.events.callbacks[event] = list(saved)
                continue
            for cb in list(current):
                if not any(cb is s for s in saved) and self.from_notebook(cb):
                    tampered.append(f"a notebook callback on IPython event {event} was removed")
                    current.remove(cb)
        if type(shell.events.callbacks) is not dict:
            tampered.append("IPython events were replaced")
        if shell.compile.flags != snap["compile_flags"]:
            benign.append("compiler flags (__future__ imports)")
            shell.compile.flags = snap["compile_flags"]
        # objects, their classes and instance attributes
        for name, obj in snap["objects"].items():
            if type(obj) is not snap["types"][name]:
                tampered.append(f"the class of {name} was changed")
                try:
                    obj.__class__ = snap["types"][name]
                except TypeError:
                    pass
            instance = getattr(obj, "__dict__", None)
            if isinstance(instance, dict):
                saved = snap["instance"][name]
                for key, value in list(instance.items()):
                    if not callable(value) and key not in saved:
                        continue
                    if key in saved:
                        if value is not saved[key]:
                            tampered.append(f"{name}.{key} was replaced")
                            instance[key] = saved[key]
                    elif callable(getattr(type(obj), key, None)) or self.from_notebook(value):
                        tampered.append(f"{name}.{key} was overridden")
                        del instance[key]
            traits = getattr(obj, "_trait_values", None)
            if isinstance(traits, dict):
                for key, value in snap["traits"][name].items():
                    if traits.get(key) is not value and (callable(value) or key in ("displayhook", "display_pub",
                                                                                  "compile", "display_formatter")):
                        if key in ("ast_transformers", "input_transformers_cleanup", "input_transformers_post"):
                            continue  # checked above by content
                        tampered.append(f"{name}.{key} was replaced")
                        traits[key] = value
        for klass, saved in snap["classes"].items():
            current = vars(klass)
            for key, value in saved.items():
                if current.get(key, _MISSING) is not value and (callable(value) or hasattr(value, "__get__")):
                    tampered.append(f"{klass.__module__}.{klass.__qualname__}.{key} was replaced")
                    type.__setattr__(klass, key, value)
            for key in [k for k in current if k not in saved]:
                if callable(current[key]) or hasattr(current[key], "__get__"):
                    tampered.append(f"{klass.__module__}.{klass.__qualname__}.{key} was added")
                    type.__delattr__(klass, key)
        # display formatters: harmless for grades, put back quietly
        for fname, (fmt, types, deferred, singletons, enabled) in snap["formatters"].items():
            current = shell.display_formatter.formatters.get(fname)
            if current is not fmt:
                benign.append(f"display formatter {fname}")
                shell.display_formatter.formatters[fname] = fmt
            if dict(fmt.type_printers) != types or dict(fmt.deferred_printers) != deferred or \
                    dict(getattr(fmt, "singleton_printers", {})) != singletons or fmt.enabled != enabled:
                benign.append(f"display formatter {fname} printers")
                fmt.type_printers.clear()
                fmt.type_printers.update(types)
                fmt.deferred_printers.clear()
                fmt.deferred_printers.update(deferred)
                if hasattr(fmt, "singleton_printers"):
                    fmt.singleton_printers.clear()
                    fmt.singleton_printers.update(singletons)
                fmt.enabled = enabled
        # sys hooks
        for hook, saved in snap["sys_hooks"].items():
            if getattr(sys, hook) is not saved:
                (tampered if hook in ("displayhook", "excepthook") and self.from_notebook(getattr(sys, hook))
                 else benign).append(f"sys.{hook}")
                setattr(sys, hook, saved)
        if sys.get_asyncgen_hooks() != snap["asyncgen"]:
            benign.append("sys asyncgen hooks")
            sys.set_asyncgen_hooks(*snap["asyncgen"])
        if sys.getrecursionlimit() != snap["recursion"]:
            benign.append("recursion limit")
            sys.setrecursionlimit(snap["recursion"])
        for label, current, saved in (("sys.meta_path", sys.meta_path, snap["meta_path"]),
                                      ("sys.path_hooks", sys.path_hooks, snap["path_hooks"]),
                                      ("gc.callbacks", gc.callbacks, snap["gc_callbacks"])):
            for entry in list(current):
                if not any(entry is s for s in saved) and self.from_notebook(entry):
                    tampered.append(f"{label} had an entry from the notebook")
                    current.remove(entry)
            for entry in saved:
                if not any(entry is c for c in current):
                    benign.append(f"{label} entry put back")
                    current.insert(0, entry)
        # signals and timers
        for which in ("ITIMER_REAL", "ITIMER_VIRTUAL", "ITIMER_PROF"):
            timer = getattr(signal, which, None)
            if timer is not None and signal.getitimer(timer) != (0.0, 0.0):
                tampered.append(f"a {which} timer was running")
                signal.setitimer(timer, 0)
        for sig, saved in snap["signals"].items():
            try:
                current = signal.getsignal(sig)
            except (ValueError, OSError):
                continue
            if current is not saved:
                (tampered if self.from_notebook(current) else benign).append(f"signal handler {sig}")
                try:
                    signal.signal(sig, saved if saved is not None else signal.SIG_DFL)
                except (ValueError, OSError, TypeError):
                    pass
        # background threads running notebook code
        for ident, frame in sys._current_frames().items():
            if ident == threading.get_ident() or ident in snap["threads"]:
                continue
            probe, depth = frame, 0
            while probe is not None and depth < 200:
                if self.from_notebook_file(probe.f_code.co_filename):
                    tampered.append("a thread started by the notebook was still running")
                    break
                probe, depth = probe.f_back, depth + 1
        # libraries imported since: nothing written in the notebook may sit in their namespaces
        for label in WATCHED_NAMESPACES:
            head, _, attr = label.partition(".")
            target = sys.modules.get(label) or sys.modules.get(head)
            if target is None:
                continue
            if attr and label not in sys.modules:
                target = getattr(sys.modules.get(label.rsplit(".", 1)[0]), label.rsplit(".", 1)[1], None)
                if target is None:
                    continue
            for key, value in list(vars(target).items()):
                if callable(value) and self.from_notebook(value) and not isinstance(value, type):
                    tampered.append(f"{label}.{key} was replaced by notebook code")
        # modules and builtins
        saved_modules = snap["modules"]
        for mod_name, module in saved_modules.items():
            if sys.modules.get(mod_name) is not module:
                tampered.append(f"sys.modules[{mod_name!r}] was replaced")
                sys.modules[mod_name] = module
        for mod_name, saved in snap["module_dicts"].items():
            namespace = vars(saved_modules[mod_name]) if mod_name in saved_modules else vars(sys.modules[mod_name])
            for key, value in saved.items():
                if mod_name == "builtins" and key in IGNORED_BUILTINS:
                    continue
                current = namespace.get(key, _MISSING)
                if current is not value and (callable(value) or isinstance(value, type(sys))):
                    if mod_name == "sys" and key in snap["sys_hooks"]:
                        continue
                    tampered.append(f"{mod_name}.{key} was replaced")
                    namespace[key] = value
        import builtins as real_builtins

        for key, value in snap["builtins"].items():
            if key in IGNORED_BUILTINS:
                continue
            current = vars(real_builtins).get(key, _MISSING)
            if current is not value:
                if current is _MISSING:
                    benign.append(f"builtin {key} put back")
                else:
                    tampered.append(f"builtin {key} was replaced")
                vars(real_builtins)[key] = value
        user_ns = shell.user_ns
        if user_ns.get("__builtins__") is not snap["user_builtins"]:
            tampered.append("the notebook's __builtins__ was replaced")
            user_ns["__builtins__"] = snap["user_builtins"]
        # names the next test cell reads: builtins must be the builtins, modules the real modules
        for name in names:
            if name in user_ns and name in snap["builtins"] and user_ns[name] is not snap["builtins"][name] and (
                    user_ns[name] is not snap["kernel_shadows"].get(name, _MISSING)):
                value = user_ns.pop(name)
                if callable(value):
                    tampered.append(f"the notebook rebound {name}, which the tests use")
                else:
                    benign.append(f"name {name} (shadowed a builtin the tests use)")
        for alias, module_name in modules.items():
            real = sys.modules.get(module_name)
            if real is not None and alias in user_ns and user_ns[alias] is not real:
                tampered.append(f"the notebook rebound {alias}, which the tests use as {module_name}")
                user_ns[alias] = real
        del builtins


_MISSING = object()


def main(argv: list[str] | None = None) -> None:
    """Start the kernel like ``python -m ipykernel_launcher``, with the guard in place."""
    import os
    import types

    if sys.path and (sys.path[0] in ("", os.path.dirname(os.path.abspath(__file__)))):
        del sys.path[0]
    # a grading kernel has no debugger: without debugpy, ipykernel skips pydevd's import (0.1 s a kernel)
    # and offers no debug channel to drive the kernel with
    sys.modules.setdefault("debugpy", None)
    from ipykernel.kernelapp import IPKernelApp

    app = IPKernelApp.instance()
    app.initialize(sys.argv[1:] if argv is None else argv)
    guard = Guard(app)
    module = types.ModuleType(GUARD_MODULE, "the grading kernel's hook reset (autograder/kernel_guard.py)")
    module.arm = guard.arm
    module.reset = guard.reset
    sys.modules[GUARD_MODULE] = module
    sys.addaudithook(guard.audit)
    preload()
    warm_tracebacks(app.shell)
    app.start()


def preload() -> None:
    """Import what the arm cell snapshots (:data:`PRELOAD`) now, before the kernel answers its first message.

    The grader may start this kernel ahead of the notebook it will run: the imports then cost
    nothing on the way of that notebook. Nothing of a student has run yet, and the snapshot is
    still taken by the arm cell, as before.
    """
    for name in PRELOAD:
        try:
            __import__(name)
        except Exception:
            pass


def warm_tracebacks(shell) -> None:
    """Format one traceback now, so that the notebook's first error does not pay for it.

    IPython sets up its traceback machinery on the first error it shows (pygments compiles its
    Python lexer, stack_data its parser): about 0.2 s, which a kernel started ahead of its
    notebook pays here instead of in the notebook's first probe. The failing code is two lines
    under a name of its own, so that no large file is parsed for it.
    """
    import linecache

    name = "<seqnlp-warm-up>"
    source = "def failing():\n    raise AssertionError('warm-up')\n"
    linecache.cache[name] = (len(source), None, source.splitlines(True), name)
    namespace: dict = {}
    try:
        exec(compile(source, name, "exec"), namespace)
        namespace["failing"]()
    except AssertionError:
        etype, value, tb = sys.exc_info()
        try:
            shell.InteractiveTB.structured_traceback(etype, value, tb.tb_next)
        except Exception:
            pass
        del tb
    finally:
        linecache.cache.pop(name, None)


if __name__ == "__main__":
    main()
