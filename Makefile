# seqnlp course: `make lab` opens the course, `make test` runs every test.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
JOBS   ?= $(shell nproc 2>/dev/null || echo 2)
# nbval's limit per cell: autograder/settings.py (NBVAL_CELL_TIMEOUT), read when a recipe needs it
CELL_TIMEOUT ?= $(shell $(BIN)/python -c "from autograder.settings import NBVAL_CELL_TIMEOUT as t; print(t)")
LAB_ARGS ?=
ROOT_ARGS := $(if $(filter 0,$(shell id -u)),--allow-root,)
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: mutation redteam help venv lab kernel test test-unit test-lesson release grade grade-check bench lint clean student-kit

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), f"Python 3.11 is required, found {sys.version.split()[0]}: set PYTHON=/path/to/python3.11"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade --quiet pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@# jsonschema's optional IRI checker (rfc3987-syntax, via jupyter-events) compiles ~35 Lark grammars on import:
	@# 1.5 s in every process that imports nbformat (nbgrader, nbclient, the grader); no Jupyter schema checks IRIs
	$(BIN)/python -m pip uninstall --quiet -y rfc3987-syntax
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

venv: $(STAMP)  ## create .venv and install the pinned environment

kernel: venv  ## register the `seqnlp` Jupyter kernel and enable the nbgrader extensions
	$(BIN)/python -m ipykernel install --sys-prefix --name seqnlp --display-name "Python 3 (seqnlp)"
	for ext in formgrader validate_assignment assignment_list course_list; do \
		$(BIN)/jupyter server extension enable --sys-prefix nbgrader.server_extensions.$$ext >/dev/null 2>&1 || exit 1; done
	$(BIN)/jupyter labextension enable @jupyter/nbgrader >/dev/null 2>&1
	@$(BIN)/jupyter labextension list 2>&1 | grep -q "@jupyter/nbgrader.*enabled" && \
		echo "seqnlp kernel registered; nbgrader extensions enabled"


# `make lab` is safe for anyone: no Formgrader (whose Generate button rewrites lessons/), no Create
# Assignment; Assignment List and Validate only (autograder/student_config/, as on a student's Hub server).
lab: kernel  ## JupyterLab without the instructor tools (headless: make lab LAB_ARGS="--no-browser --port 8888")
	@echo "================================================================================"
	@echo " seqnlp: JupyterLab without Formgrader or Create Assignment."
	@echo " STUDENTS: work in the student kit, not in this repository (make release and"
	@echo "   Formgrader rewrite lessons/ here, and your edits there would be lost):"
	@echo "     make student-kit UNTIL=NN   ->  dist/seqnlp-student-NN/ (and its .zip)"
	@echo " INSTRUCTORS: make instructor-lab   (Formgrader, Create Assignment, exchange)"
	@echo "================================================================================"
	JUPYTER_CONFIG_PATH=$(CURDIR)/autograder/student_config$(if $(JUPYTER_CONFIG_PATH),:$(JUPYTER_CONFIG_PATH)) \
		$(BIN)/jupyter lab --notebook-dir=$(CURDIR) $(ROOT_ARGS) $(LAB_ARGS)

.PHONY: instructor-lab
instructor-lab: kernel  ## the instructor's JupyterLab: Formgrader, Create Assignment, the exchange (docs/GRADING.md)
	@echo "================================================================================"
	@echo " seqnlp INSTRUCTOR lab: Nbgrader menu > Formgrader, Create Assignment, Assignment List."
	@echo " Formgrader's Generate and make release REWRITE lessons/ from solutions/."
	@echo " Grades: $(or $(SEQNLP_GRADED),graded)/ (make grade; Formgrader reads its gradebook)."
	@echo " Exchange: $(or $(SEQNLP_EXCHANGE),.exchange)/ (SEQNLP_EXCHANGE=... for a shared one)."
	@echo " Students get the kit (make student-kit UNTIL=NN), never this repository."
	@echo "================================================================================"
	$(BIN)/jupyter lab --notebook-dir=$(CURDIR) $(ROOT_ARGS) $(LAB_ARGS)

test: kernel  ## run everything: unit tests, nbval over solutions/, release + autograde round trip
	SEQNLP_MODE=fast $(BIN)/python -m pytest -n $(JOBS) \
		--nbval-lax --nbval-cell-timeout=$(CELL_TIMEOUT) --durations=15 tests solutions

test-unit: kernel  ## only the tests that execute no lesson notebook
	SEQNLP_MODE=fast $(BIN)/python -m pytest -n $(JOBS) tests -m "not notebook"

test-lesson: kernel  ## one lesson's nbval + round trip: make test-lesson L=01
	@test -n "$(L)" || (echo "usage: make test-lesson L=01" && false)
	lesson=$$($(BIN)/python -c 'import sys; from autograder.lessons import resolve_lesson; print(resolve_lesson(sys.argv[1]))' $(L)) && \
	SEQNLP_MODE=fast $(BIN)/python -m pytest -n $(JOBS) --nbval-lax \
		--nbval-cell-timeout=$(CELL_TIMEOUT) tests/test_lessons.py solutions/$$lesson -k $$lesson

release: venv  ## regenerate lessons/ from solutions/ (nbgrader generate_assignment)
	$(BIN)/python -m autograder.release

student-kit: venv  ## a student kit of lessons 01..UNTIL, no answers: dist/seqnlp-student-NN/ + .zip [UNTIL=08]
	$(BIN)/python -m autograder.studentkit --until $(or $(UNTIL),08)

grade: venv  ## grade a class: make grade SUBMISSIONS=path/to/folder-or.zip [GRADE_ARGS="--lessons 01 --workers 2"]
	@test -n "$(SUBMISSIONS)" || (echo "usage: make grade SUBMISSIONS=path/to/submissions [GRADE_ARGS=...]" && false)
	$(BIN)/python -m autograder grade "$(SUBMISSIONS)" $(GRADE_ARGS)

grade-check: venv  ## say which sandbox layers this machine provides for grading
	$(BIN)/python -m autograder check

bench: venv  ## full-mode benchmarks -> benchmarks/RESULTS.md (hours on a CPU): make bench [BENCH_ARGS="--only 08"]
	$(BIN)/python benchmarks/run_all.py $(BENCH_ARGS)

.PHONY: bench-course gpu-check
bench-course: kernel  ## every solution notebook in full mode, one at a time -> results/course.json (~1 h) [COURSE_ARGS="--only 01 06"]
	$(BIN)/python benchmarks/bench_course.py $(COURSE_ARGS)
	$(BIN)/python benchmarks/run_all.py --table-only

# The GPU machine may have no .venv: any Python with torch, numpy, pandas and tqdm will do.
GPU_PYTHON ?= $(if $(wildcard $(BIN)/python),$(BIN)/python,python3)
gpu-check:  ## on a CUDA GPU: BiLSTM epoch, SGNS slice, device checks -> results/gpu.json [GPU_ARGS="--device cuda:1"]
	$(GPU_PYTHON) benchmarks/gpu_check.py $(GPU_ARGS)
	$(GPU_PYTHON) benchmarks/run_all.py --table-only

mutation: kernel  ## every generated mutant of every lesson -> benchmarks/results/mutation.md (make test runs a sample)
	SEQNLP_MODE=fast $(BIN)/python -m autograder.mutation --report $(MUTATION_ARGS)

redteam: venv  ## every attack of autograder/redteam.py on lessons 01, 04, 08 -> benchmarks/results/redteam.md (~30 min)
	$(BIN)/python -m autograder.redteam $(REDTEAM_ARGS)

lint: venv  ## ruff over the Python code
	$(BIN)/ruff check seqnlp autograder tests benchmarks nbgrader_config.py

clean:  ## remove caches and grading scratch (keeps .venv)
	rm -rf .pytest_cache graded autograded submitted feedback gradebook.db release-tmp
	find . -name __pycache__ -not -path './.venv/*' -prune -exec rm -rf {} +
