"""JupyterHub for the course: Formgrader as the instructor's Hub service, student servers without it.

Start the Hub (as root, from the grader account's clone of this repository) with
``jupyterhub -f autograder/jupyterhub_config.py``; docs/JUPYTERHUB.md has the
whole set-up. Settings come from the environment so that this file is used as
it is committed:

``SEQNLP_EXCHANGE``      the exchange every server mounts (default ``/srv/nbgrader/exchange``)
``SEQNLP_COURSE_DIR``    the instructor's clone of the repository (default: the clone holding this file)
``SEQNLP_STUDENT_CONFIG``  a world-readable copy of autograder/student_config/ (``/opt/seqnlp/student_config``;
                         never the clone itself, which students must not read: it holds the answers)
``SEQNLP_GRADER_USER``   the system user that owns that clone and runs Formgrader (``grader-seqnlp``)
``SEQNLP_INSTRUCTORS``   comma-separated Hub users who may open Formgrader
``SEQNLP_STUDENTS``      comma-separated Hub users allowed to log in as students
``SEQNLP_FORMGRADER_PORT``  the service's local port (9999)
"""

import os
from pathlib import Path

c = get_config()  # noqa: F821  (provided by traitlets when JupyterHub loads this file)

HERE = Path(__file__).resolve().parent if "__file__" in globals() else Path.cwd() / "autograder"
COURSE = "seqnlp"  # nbgrader's course id: the service must have this name
COURSE_DIR = Path(os.environ.get("SEQNLP_COURSE_DIR") or HERE.parent)
EXCHANGE = os.environ.get("SEQNLP_EXCHANGE") or "/srv/nbgrader/exchange"
GRADER_USER = os.environ.get("SEQNLP_GRADER_USER") or f"grader-{COURSE}"
STUDENT_CONFIG = os.environ.get("SEQNLP_STUDENT_CONFIG") or "/opt/seqnlp/student_config"
PORT = int(os.environ.get("SEQNLP_FORMGRADER_PORT") or 9999)
VENV_BIN = COURSE_DIR / ".venv" / "bin"


def _users(name: str) -> list[str]:
    return [user.strip() for user in os.environ.get(name, "").split(",") if user.strip()]


INSTRUCTORS = _users("SEQNLP_INSTRUCTORS")
STUDENTS = _users("SEQNLP_STUDENTS")

c.Authenticator.allowed_users = set(INSTRUCTORS + STUDENTS)
c.Authenticator.admin_users = set(INSTRUCTORS)

# Formgrader runs as one Hub service, in the instructor's clone (solutions/, graded/, the gradebook),
# as the grader account; instructors reach it through the Hub (Services > seqnlp).
c.JupyterHub.load_groups = {f"formgrade-{COURSE}": INSTRUCTORS}
c.JupyterHub.load_roles = [
    {
        "name": f"formgrade-{COURSE}",
        "groups": [f"formgrade-{COURSE}"],
        "scopes": [f"access:services!service={COURSE}", "list:services", f"read:services!service={COURSE}"],
    },
]
c.JupyterHub.services = [
    {
        "name": COURSE,
        "url": f"http://127.0.0.1:{PORT}",
        "command": [str(VENV_BIN / "jupyterhub-singleuser"), f"--port={PORT}", f"--ServerApp.root_dir={COURSE_DIR}"],
        "user": GRADER_USER,
        "cwd": str(COURSE_DIR),
        "environment": {
            "JUPYTERHUB_DEFAULT_URL": "/lab",
            "PATH": f"{VENV_BIN}:/usr/local/bin:/usr/bin:/bin",  # nbgrader runs alembic from the venv
            "SEQNLP_EXCHANGE": EXCHANGE,
        },
        "oauth_no_confirm": True,
    },
]

# Students: their own servers with the Assignment List and Validate only (no Formgrader, no Create
# Assignment, no course list) and the shared exchange. Nothing of the instructor's clone reaches them.
c.Spawner.default_url = "/lab"
c.Spawner.environment = {
    "JUPYTER_CONFIG_PATH": STUDENT_CONFIG,
    "SEQNLP_EXCHANGE": EXCHANGE,
}
