"""Give every source notebook the course kernel's exact metadata, then release: ``python -m autograder.kernelmeta``.

The notebooks declare the kernel that ``make kernel`` registers (``seqnlp``) and carry the
``language_info`` that kernel reports, so opening a lesson in JupyterLab with the course kernel
changes nothing and a saved notebook shows no metadata in ``git diff`` (tests/test_kernel.py).
"""

from __future__ import annotations

import nbformat

from .lessons import available_lessons, source_notebook
from .settings import COURSE_KERNEL, COURSE_KERNEL_DISPLAY


def kernel_language_info() -> dict:
    """``language_info`` as the course kernel reports it (its ``kernel_info`` reply)."""
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name=COURSE_KERNEL)
    try:
        msg_id = kc.kernel_info()
        reply = kc.get_shell_msg(timeout=60)
        while reply["parent_header"].get("msg_id") != msg_id:
            reply = kc.get_shell_msg(timeout=60)
        return dict(reply["content"]["language_info"])
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def main() -> int:
    info = kernel_language_info()
    spec = {"name": COURSE_KERNEL, "display_name": COURSE_KERNEL_DISPLAY, "language": "python"}
    for lesson in available_lessons():
        path = source_notebook(lesson)
        nb = nbformat.read(path, as_version=4)
        if nb.metadata.get("kernelspec") != spec or nb.metadata.get("language_info") != info:
            nb.metadata["kernelspec"] = spec
            nb.metadata["language_info"] = info
            nbformat.write(nb, path)
            print(f"{path}: course kernel metadata written")
    from .release import release

    release()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
