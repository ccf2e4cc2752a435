"""benchmarks/gpu_check.py: the prepared data file, a CPU smoke run end to end, no CUDA, and RESULTS.md's GPU line."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "benchmarks" / "gpu_check.py"


def _load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


gpu_check = _load("gpu_check", SCRIPT)
run_all = _load("run_all_for_gpu", REPO / "benchmarks" / "run_all.py")

# Runs the script in a Python where the libraries the GPU machine lacks cannot be imported (None in
# sys.modules: `import x` raises ImportError, importlib.util.find_spec says it is not there), and
# where tqdm is not installed either: it can only come from a wheel on sys.path.
BLOCKED_RUN = """
import importlib.abc, importlib.machinery, runpy, sys
for name in sys.argv[1].split(","):
    sys.modules[name] = None
class NotInstalled(importlib.abc.Loader):
    def create_module(self, spec):
        raise ImportError(f"{spec.name} is not installed")
    def exec_module(self, module):
        pass
class OnlyFromWheels(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name != "tqdm":
            return None
        wheels = [p for p in sys.path if p.endswith(".whl")]
        spec = importlib.machinery.PathFinder.find_spec(name, wheels) if wheels else None
        return spec or importlib.machinery.ModuleSpec(name, NotInstalled())
sys.meta_path.insert(0, OnlyFromWheels())
sys.argv = sys.argv[2:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


@pytest.fixture(scope="module")
def data():
    path = gpu_check.DATA_FILE
    assert path.is_file(), "benchmarks/data/gpu_check.npz is committed (make it with gpu_check.py --prepare)"
    return gpu_check.load_data(path)  # validate() passes


def test_prepared_file_is_small_and_valid(data):
    size = gpu_check.DATA_FILE.stat().st_size
    assert size < 10_000_000, f"{size:,} bytes: the issue wants under 10 MB"
    assert len(data["imdb_train_labels"]) == 22_500 and len(data["imdb_val_labels"]) == 2_500
    assert len(data["imdb_itos"]) == 40_000 and len(data["sgns_ids"]) >= 1_000_000
    assert set(data["imdb_train_rows"]).isdisjoint(data["imdb_val_rows"])
    sums = dict(line.split()[::-1] for line in (REPO / "datasets" / "SHA256SUMS").read_text().splitlines() if line)
    for rel, digest in data["meta"]["sources"].items():
        assert sums[rel] == digest, f"the data file was built from another datasets/{rel}: rebuild it (--prepare)"


def test_prepared_reviews_are_what_the_lessons_make_of_the_dataset(data):
    from seqnlp.data import dataset_path
    from seqnlp.sentiment import truncate_head_tail
    from seqnlp.text import clean_text

    raw = pd.read_csv(dataset_path("imdb/train.csv.gz"), compression="gzip")
    stoi = {w: i for i, w in enumerate(data["imdb_itos"])}
    p = data["meta"]["imdb"]
    for split in ("train", "val"):
        seqs = gpu_check._ragged(data[f"imdb_{split}_ids"], data[f"imdb_{split}_lengths"])
        for k in (0, 1, 7, 100, len(seqs) - 1):
            row = int(data[f"imdb_{split}_rows"][k])
            ids = [stoi.get(t, 1) for t in clean_text(raw.text[row]).split()]
            assert seqs[k] == truncate_head_tail(ids, p["maxlen"], p["head"]), f"imdb_{split} review {k}"
            assert int(data[f"imdb_{split}_labels"][k]) == (raw.label[row] == "pos")
    # lesson 04's corpus starts with the training reviews in file order; rare words are left out
    itos = data["sgns_itos"]
    stoi = {w: i for i, w in enumerate(itos)}
    docs = gpu_check._ragged(data["sgns_ids"], data["sgns_lengths"])
    for k in (0, 3, 50):
        assert docs[k] == [stoi[t] for t in clean_text(raw.text[k]).split() if t in stoi], f"SGNS document {k}"


def test_every_model_and_training_helper_has_a_device_check():
    missing = gpu_check.required_names() - gpu_check.covered_names() - set(gpu_check.NOT_CHECKED)
    assert not missing, f"public models/training helpers without a device check in gpu_check.py: {sorted(missing)}"
    for names, fn in gpu_check.CHECKS:
        for name in names:
            module, _, attr = name.rpartition(".")
            assert fn.__name__ in gpu_check.OPTIONAL or attr in sys.modules[module].__all__, f"{name} is not public"


def test_quick_cpu_run_end_to_end_without_the_heavy_libraries(tmp_path):
    out = tmp_path / "results" / "gpu.json"
    out.parent.mkdir()
    done = subprocess.run(
        [sys.executable, "-c", BLOCKED_RUN, ",".join(gpu_check.HEAVY), str(SCRIPT), "--device", "cpu", "--quick",
         "--out", str(out)],
        cwd=tmp_path, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "tqdm is not installed; using benchmarks/data/wheels/tqdm-4.70.1-py3-none-any.whl" in done.stdout
    ran = sum(1 for names, fn in gpu_check.CHECKS
              if fn.__name__ not in gpu_check.OPTIONAL or all(map(gpu_check._exists, names)))
    assert f"{ran}/{ran} device checks passed" in done.stdout
    rows, problems = run_all.load_rows(out.parent)
    assert not problems and len(rows) == 5
    assert all(r["device"].startswith("cpu") for r in rows), "a CPU run must not look like a GPU row"
    by_metric = {r["metric"]: r for r in rows}
    assert by_metric["checks passed"]["met"] is True and by_metric["seconds"]["target"] == 480.0
    assert by_metric["words/s"]["value"] > 0 and 0 < by_metric["seconds per epoch"]["value"]


def test_the_bundled_wheel_is_the_pinned_tqdm():
    lines = (REPO / "requirements.txt").read_text().splitlines()
    pins = dict(line.split("#")[0].strip().split("==")[:2] for line in lines if "==" in line.split("#")[0])
    wheels = [p.name for p in gpu_check.WHEELS.glob("*.whl")]
    assert wheels == [f"tqdm-{pins['tqdm']}-py3-none-any.whl"], wheels


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_asked_without_cuda_is_a_clear_error(capsys, tmp_path):
    assert gpu_check.main(["--out", str(tmp_path / "gpu.json")]) == 2  # --device cuda is the default
    err = capsys.readouterr().err
    assert "CUDA is not available on this machine" in err and "--device cpu" in err
    assert not (tmp_path / "gpu.json").exists()


def test_results_say_no_gpu_figure_exists_until_gpu_rows_do():
    cpu = {"lesson": "08_x", "task": "t", "metric": "m", "value": 1.0, "device": "cpu (2 threads)", "source": "08_x.json"}
    text = run_all.render_table([cpu], [])
    assert "No GPU figure exists" in text and "make gpu-check" in text
    gpu = {**cpu, "device": "cuda (NVIDIA H100)", "source": "gpu.json"}
    text = run_all.render_table([cpu, gpu], [])
    assert "No GPU figure" not in text and "1 row was measured on a GPU" in text


@pytest.mark.skipif(not gpu_check.has_notebook_model(), reason="lesson 04 has no SkipGramNS cell any more")
def test_sgns_model_comes_from_lesson_04():
    model = gpu_check.sgns_model_class()(10, 4)
    assert isinstance(model, torch.nn.Module)
    loss = model(torch.tensor([1, 2]), torch.tensor([3, 4]), torch.tensor([[5, 6], [7, 8]]))
    assert loss.shape == (2,) and bool(np.isfinite(loss.detach().numpy()).all())


def test_rows_json_is_the_course_format(tmp_path):
    checks = [{"check": "a", "covers": ("x.y",), "ok": True, "seconds": 0.1},
              {"check": "b", "covers": ("x.z",), "ok": False, "seconds": 0.2}]
    rows = gpu_check.make_rows("cuda (test)", checks, None, None, 12.0, quick=False).rows
    assert [r["metric"] for r in rows] == ["checks passed", "seconds"]
    assert rows[0]["met"] is False and "failed: b" in rows[0]["task"] and rows[1]["met"] is True
    assert all(set(r) == set(run_all.FIELDS) for r in rows)
    json.dumps(rows)


def test_a_failing_part_is_a_failed_check_and_the_run_goes_on():
    def broken(data, device, quick):
        raise RuntimeError("CUDA out of memory")

    checks = []
    assert gpu_check._timed_part(broken, {}, torch.device("cpu"), True, checks) is None
    assert checks[0]["check"] == "broken" and not checks[0]["ok"] and "out of memory" in checks[0]["error"]
    rows = gpu_check.make_rows("cuda (test)", checks, None, None, 3.0, quick=False).rows
    assert rows[0]["met"] is False and "failed: broken" in rows[0]["task"]


def test_only_a_full_cuda_run_writes_gpu_json_by_default(tmp_path):
    cuda, cpu = torch.device("cuda"), torch.device("cpu")
    assert gpu_check.rows_file(None, cuda, quick=False) == gpu_check.RESULTS_FILE
    assert gpu_check.rows_file(None, cuda, quick=True) is None and gpu_check.rows_file(None, cpu, quick=False) is None
    assert gpu_check.rows_file(tmp_path / "x.json", cpu, quick=True) == tmp_path / "x.json"
