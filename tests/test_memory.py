"""The memory guard: the model of a run's peak memory, what the machine has available,
a refusal in one line before any painting, and out-of-memory failures during a run in
the same one line (a CUDA one raised here, as there is no GPU on the test machine)."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
import time

import pytest
import torch
from conftest import ROOT, assert_nothing_lost, assert_one_line_error, run_cli, run_cli_in_process, snapshot

import framestyle.pipeline.memory as memory
from framestyle.config import StyleConfig
from framestyle.errors import OutOfMemory
from framestyle.pipeline.memory import Target, check_memory, estimate_peak, memory_need

CPU = Target(torch.device("cpu"), bf16=False)
CAT, STARRY = (451, 300), (1024, 640)
GB = 10**9


def peak(size: int, *, bf16: bool = False, **settings: object) -> int:
    config = StyleConfig(size=size, **settings)  # type: ignore[arg-type]
    return estimate_peak(CAT, [STARRY], config, device="cpu", bf16=bf16)


def test_the_estimate_grows_with_pixels_steps_and_style_size_and_shrinks_with_bf16_and_layers():
    small, large = peak(512, iterations=2), peak(1024, iterations=2)
    assert large > small
    # Four times the pixels: the growing part four times larger.
    fixed = memory.FIXED_BYTES["fp32"]
    assert (large - fixed) == pytest.approx(4 * (small - fixed), rel=0.02)
    assert peak(1024, bf16=True, iterations=2) < large
    # L-BFGS's history: 50 pairs of two float32 image copies, beyond the one measured.
    pixels = 1024 * 681
    assert peak(1024, iterations=300) - large == pytest.approx(
        49 * memory.HISTORY_BYTES_PER_PAIR_PIXEL * pixels, rel=0.01
    )
    assert peak(1024, iterations=300, optimizer="adam") == large
    # The style targets at 4x the output's long side outweigh the steps.
    assert peak(256, iterations=2, style_scale=4.0) > peak(256, iterations=2)
    # A network cut after relu3_1 keeps fewer activations than one cut after relu5_1.
    shallow = peak(1024, iterations=2, content_layers=("relu2_2",), style_layers=("relu1_1", "relu3_1"))
    assert shallow < large
    # Coarse-to-fine: the largest rung is the output itself, so the peak is the same.
    assert peak(1024, iterations=2, scales=3) == pytest.approx(large, rel=0.001)


def test_a_size_that_does_not_fit_names_the_largest_that_does():
    config = StyleConfig(size=12000)
    need = memory_need(CAT, [STARRY], config, CPU, available=19 * GB)
    assert not need.fits
    message = need.message()
    match = re.fullmatch(
        r"`size=12000` needs about ([\d.]+) GB of RAM but 19\.0 GB is available; "
        r"the largest size that fits is about `size=(\d+)`",
        message,
    )
    assert match, message
    assert float(match.group(1)) * GB == pytest.approx(need.bytes, rel=0.01)
    largest = int(match.group(2))
    assert largest % 16 == 0
    fits = dataclasses.replace(config, size=largest)
    assert estimate_peak(CAT, [STARRY], fits, device="cpu", bf16=False) <= 19 * GB * memory.PROPOSE_BELOW
    over = dataclasses.replace(config, size=largest + 32)
    assert estimate_peak(CAT, [STARRY], over, device="cpu", bf16=False) > 19 * GB * memory.PROPOSE_BELOW
    with pytest.raises(OutOfMemory, match="the largest size that fits"):
        check_memory(need)


def test_the_margin_lets_through_runs_the_estimate_puts_slightly_over():
    config = StyleConfig(size=1024)
    estimate = estimate_peak(CAT, [STARRY], config, device="cpu", bf16=False)
    check_memory(memory_need(CAT, [STARRY], config, CPU, available=int(estimate / 1.05)))  # 5% over: runs
    with pytest.raises(OutOfMemory):
        check_memory(memory_need(CAT, [STARRY], config, CPU, available=int(estimate / 1.2)))


def test_not_even_the_smallest_size_and_the_switch_that_turns_the_guard_off(monkeypatch):
    need = memory_need(CAT, [STARRY], StyleConfig(size=512), CPU, available=100 * 2**20)
    assert need.largest is None
    assert "not even the smallest size fits" in need.message()
    monkeypatch.setenv(memory.GUARD_VARIABLE, "off")
    check_memory(need)


def test_local_ray_workers_each_need_the_memory_of_one_picture():
    one = memory_need(CAT, [STARRY], StyleConfig(size=512), CPU, available=64 * GB)
    four = memory_need(CAT, [STARRY], StyleConfig(size=512), dataclasses.replace(CPU, painters=4), available=64 * GB)
    assert four.bytes == 4 * one.bytes
    assert "(4 Ray workers at once)" in dataclasses.replace(four, available=1).message()


def test_available_memory_is_the_least_of_ram_cgroup_and_address_space(monkeypatch):
    monkeypatch.setattr(memory, "_status_bytes", lambda field: 500 * 2**20 if field == "VmRSS" else None)
    monkeypatch.setattr(memory, "_meminfo_available", lambda: 20 * GB)
    monkeypatch.setattr(memory, "_cgroup_headroom", lambda: None)
    monkeypatch.setattr(memory, "_address_space_headroom", lambda: None)
    cpu = torch.device("cpu")
    assert memory.available_bytes(cpu) == 20 * GB + 500 * 2**20  # what this process holds already counts
    assert memory.available_bytes(cpu, this_process=False) == 20 * GB
    monkeypatch.setattr(memory, "_cgroup_headroom", lambda: 6 * GB)
    assert memory.available_bytes(cpu, this_process=False) == 6 * GB
    monkeypatch.setattr(memory, "_address_space_headroom", lambda: 3 * GB)
    assert memory.available_bytes(cpu, this_process=False) == 3 * GB


def test_cgroup_limits_v1_and_v2_are_read(monkeypatch, tmp_path):
    v2 = tmp_path / "v2"
    (v2 / "job").mkdir(parents=True)
    (v2 / "job" / "memory.max").write_text("4000000000\n")
    (v2 / "job" / "memory.current").write_text("1000000000\n")
    real_path = memory.Path

    def fake_path(text: str = "") -> object:
        if text == "/proc/self/cgroup":
            return tmp_path / "cgroup"
        if text == "/sys/fs/cgroup":
            return v2
        return real_path(text)

    monkeypatch.setattr(memory, "Path", fake_path)
    (tmp_path / "cgroup").write_text("0::/job\n")
    assert memory._cgroup_headroom() == 3_000_000_000
    (v2 / "job" / "memory.max").write_text("max\n")
    assert memory._cgroup_headroom() is None
    (v2 / "memory" / "job").mkdir(parents=True)
    (v2 / "memory" / "job" / "memory.limit_in_bytes").write_text("2000000000\n")
    (v2 / "memory" / "job" / "memory.usage_in_bytes").write_text("500000000\n")
    (tmp_path / "cgroup").write_text("4:memory:/job\n")
    assert memory._cgroup_headroom() == 1_500_000_000
    (v2 / "memory" / "job" / "memory.limit_in_bytes").write_text("9223372036854771712\n")  # v1: no limit
    assert memory._cgroup_headroom() is None


def test_gpu_memory_is_the_free_memory_cuda_reports(monkeypatch):
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda device=None: (6 * GB, 80 * GB))
    gpu = Target(torch.device("cuda"), bf16=True)
    need = memory_need(CAT, [STARRY], StyleConfig(size=12000), gpu)
    assert need.available == 6 * GB
    assert "of GPU memory but 6.0 GB is available" in need.message()


def test_too_large_a_size_is_refused_in_one_line_within_seconds(tmp_path, cat, starry):
    before = snapshot(tmp_path)
    start = time.perf_counter()
    proc = run_cli("image", cat, starry, "--size", "12000", "-o", tmp_path / "o.png")
    assert time.perf_counter() - start < 30  # torch's import included; no step is taken
    assert_one_line_error(
        proc, "--size 12000 needs about", "GB of RAM but", "the largest size that fits is about --size"
    )
    assert_nothing_lost(before, tmp_path)


def test_dry_run_shows_memory_beside_disk_and_does_not_time_a_size_that_cannot_fit(tmp_path, bear, starry):
    out = tmp_path / "o.mp4"
    proc = run_cli_in_process("video", bear, starry, "--frames", "2", "--size", "64", "--dry-run", "-o", out)
    assert proc.returncode == 0, proc.stderr
    assert re.search(
        r"^disk: .*\nmemory: about [\d.]+ [MG]B at its peak \(cpu, (bf16|fp32)\), .* RAM available$", proc.stdout, re.M
    ), proc.stdout
    proc = run_cli_in_process("video", bear, starry, "--frames", "2", "--size", "20000", "--dry-run", "-o", out)
    assert proc.returncode == 0, proc.stderr
    assert "not timed" in proc.stdout
    assert "-- not enough: the run would be refused; the largest size that fits is about --size" in proc.stdout
    proc = run_cli_in_process("video", bear, starry, "--frames", "2", "--size", "20000", "-o", out)
    assert_one_line_error(proc, "--size 20000 needs about")
    assert not out.exists()


@pytest.mark.parametrize(
    "error",
    [
        lambda: torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB"),
        lambda: RuntimeError("DefaultCPUAllocator: can't allocate memory: you tried to allocate 9000000000 bytes."),
        lambda: MemoryError(),
    ],
    ids=["cuda", "cpu-allocator", "python"],
)
def test_running_out_of_memory_mid_run_becomes_one_line(monkeypatch, tmp_path, cat, starry, error):
    from framestyle.stylize import Stylizer

    def fail(self, content, **options):
        raise error()

    monkeypatch.setattr(Stylizer, "stylize", fail)
    proc = run_cli_in_process("image", cat, starry, "--size", "64", "-n", "2", "-o", tmp_path / "o.png")
    assert_one_line_error(proc, "ran out of RAM at --size 64", "available now", "try a smaller --size")
    assert not (tmp_path / "o.png").exists()


def test_cuda_out_of_memory_names_the_largest_size_by_the_model(monkeypatch):
    from framestyle.backend import Backend
    from framestyle.pipeline.memory import out_of_memory_error

    monkeypatch.setattr(torch.cuda, "empty_cache", lambda: None)  # no CUDA here
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda device=None: (4 * GB, 80 * GB))
    backend = Backend(torch.device("cuda"), torch.bfloat16, 1)
    err = out_of_memory_error(CAT, [STARRY], StyleConfig(size=4096), backend)
    assert re.fullmatch(
        r"ran out of GPU memory at `size=4096` \(4\.0 GB available now\); "
        r"the largest size that fits is about `size=\d+`",
        str(err),
    ), err


def test_other_runtime_errors_are_not_taken_for_out_of_memory(monkeypatch, cat):
    from framestyle.config import RuntimeConfig
    from framestyle.pipeline.common import load_content, make_stylizer
    from framestyle.pipeline.paint import PictureTask, paint_picture
    from framestyle.stylize import Stylizer

    stylizer = make_stylizer([cat], StyleConfig(size=32, iterations=1), RuntimeConfig())

    def fail(self, content, **options):
        raise RuntimeError("mat1 and mat2 shapes cannot be multiplied")

    monkeypatch.setattr(Stylizer, "stylize", fail)
    with pytest.raises(RuntimeError, match="shapes"):
        paint_picture(stylizer, PictureTask(0, load_content(cat, 32)))


# -- near a real limit: RLIMIT_AS (ulimit -v) on a real run -----------------------------


def _address_space_in_use() -> int:
    """VmSize of a fresh process that imported what a run imports."""
    code = "import framestyle.pipeline, framestyle.pipeline.memory as m; print(m._status_bytes('VmSize'))"
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    return int(out.stdout)


def test_under_an_address_space_limit_the_proposed_size_runs_and_a_larger_one_is_refused(tmp_path, cat, starry):
    """A real run under RLIMIT_AS: well over the limit, refused in one line; the size the
    refusal proposes, painted for real."""
    limit = _address_space_in_use() + 2 * 2**30  # about 2 GiB to paint in
    prlimit = ["prlimit", f"--as={limit}", sys.executable, "-m", "framestyle"]

    def run(size: int) -> subprocess.CompletedProcess:
        args = ["image", cat, starry, "--size", str(size), "-n", "1", "--precision", "fp32", "-o", tmp_path / "o.png"]
        return subprocess.run(
            [*prlimit, *map(str, args)],
            capture_output=True,
            text=True,
            timeout=300,
            env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        )

    start = time.perf_counter()
    refused = run(4000)
    assert time.perf_counter() - start < 30
    assert_one_line_error(refused, "--size 4000 needs about", "the largest size that fits is about --size")
    largest = int(re.search(r"about --size (\d+)", refused.stderr).group(1))
    assert 256 <= largest < 4000
    done = run(largest)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "o.png").exists()
