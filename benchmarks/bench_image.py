"""Image benchmark: seconds per iteration vs the bare network, bf16 quality, coarse-to-fine.

Prints Markdown tables; no thresholds.
Usage: python benchmarks/bench_image.py [--quick] [--sizes 256,512] [--skip-scales]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

from framestyle.config import RuntimeConfig, StyleConfig
from framestyle.events import Callbacks
from framestyle.io.images import read_image
from framestyle.pipeline import load_content
from framestyle.stylize import Stylizer
from framestyle.tensors import to_tensor

ROOT = Path(__file__).resolve().parents[1]
CONTENT = ROOT.parent / "shared/assets/content/tubingen_neckarfront.jpg"
STYLE = ROOT / "samples/vangogh_starry_night.jpg"
if not CONTENT.exists():
    CONTENT = ROOT / "samples/chelsea_cat.png"


def bare_network_seconds(stylizer: Stylizer, content: torch.Tensor, repeats: int) -> float:
    """Forward to the deepest loss layer and backward to the image: the floor of one step."""
    layers = sorted(set(stylizer.config.content_layers) | set(stylizer.config.style_layers))
    x = content.clone().requires_grad_(True)
    times = []
    for _ in range(repeats + 1):
        start = time.perf_counter()
        feats = stylizer.features(x, layers)
        sum(f.sum() for f in feats.values()).backward()
        x.grad = None
        times.append(time.perf_counter() - start)
    return sorted(times[1:])[len(times[1:]) // 2]


def step_seconds(stylizer: Stylizer, content: torch.Tensor, steps: int) -> tuple[float, float]:
    stamps: list[float] = []
    result = stylizer.stylize(
        content, iterations=steps + 1, reporter=Callbacks(iteration=lambda e: stamps.append(time.perf_counter()))
    )
    gaps = [b - a for a, b in zip(stamps, stamps[1:])]
    return sorted(gaps)[len(gaps) // 2], result.loss


def fp32_loss_of(image: torch.Tensor, reference: Stylizer) -> float:
    """Score a result with the fp32 objective, so bf16 and fp32 runs compare fairly."""
    result = reference.stylize(image, init=image, iterations=1)
    return result.loss


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer repeats (smoke run)")
    parser.add_argument("--sizes", default="256,512", help="comma-separated long sides for the step table")
    parser.add_argument("--skip-scales", action="store_true", help="leave out the coarse-to-fine table (slow)")
    args = parser.parse_args()
    repeats = 3 if args.quick else 8
    style = to_tensor(read_image(STYLE, max_side=1024))
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, content {CONTENT.name}, style {STYLE.name}\n")
    print("| size | precision | bare VGG19 fwd+bwd (s) | one step (s) | overhead |")
    print("|---|---|---|---|---|")
    for size in (int(v) for v in args.sizes.split(",")):
        content = to_tensor(load_content(CONTENT, size))
        for precision in ("fp32", "bf16"):
            config = StyleConfig(size=size, tolerance=0)
            stylizer = Stylizer([style], config=config, runtime=RuntimeConfig(precision=precision))
            bare = bare_network_seconds(stylizer, content, repeats)
            step, _ = step_seconds(stylizer, content, repeats)
            print(f"| {size} | {precision} | {bare:.3f} | {step:.3f} | {step / bare:.2f}x |", flush=True)

    print("\nbf16 quality: 150 L-BFGS steps at 256 px, each result scored with the fp32 objective\n")
    print("| precision | loss (fp32 objective) | content | style |")
    print("|---|---|---|---|")
    content = to_tensor(load_content(CONTENT, 256))
    ref = Stylizer([style], config=StyleConfig(size=256, tolerance=0), runtime=RuntimeConfig(precision="fp32"))
    for precision in ("fp32", "bf16"):
        config = StyleConfig(size=256, iterations=150, tolerance=0)
        result = Stylizer([style], config=config, runtime=RuntimeConfig(precision=precision)).stylize(content)
        scored = ref.stylize(content, init=result.image, iterations=1)
        print(
            f"| {precision} | {scored.loss:.4f} | {scored.losses['content']:.4f} | {scored.losses['style']:.4f} |",
            flush=True,
        )

    if args.skip_scales:
        return
    print("\ncoarse-to-fine: seconds until the full-size loss first reaches the loss that")
    print("300 single-scale steps reach at 256 px (bf16)\n")
    single_cfg = StyleConfig(size=256, iterations=300, tolerance=0)
    single = Stylizer([style], config=single_cfg, runtime=RuntimeConfig(precision="bf16"))
    trace: list[tuple[float, float]] = []
    start = time.perf_counter()
    single.stylize(content, reporter=Callbacks(iteration=lambda e: trace.append((time.perf_counter() - start, e.loss))))
    target = trace[-1][1]
    print("| scales | iterations budget | seconds to target | steps at full size |")
    print("|---|---|---|---|")
    first = next(t for t, loss in trace if loss <= target)
    print(f"| 1 | 300 | {first:.1f} | {len(trace)} |")
    for scales in (2, 3):
        cfg = StyleConfig(size=256, iterations=600, tolerance=0, scales=scales)
        stylizer = Stylizer([style], config=cfg, runtime=RuntimeConfig(precision="bf16"))
        hits: list[float] = []
        full: list[int] = []
        start = time.perf_counter()

        def watch(e, full=full, hits=hits, start=start):
            if e.scale == e.scales - 1:
                full.append(e.iteration)
                if e.loss <= target and not hits:
                    hits.append(time.perf_counter() - start)
                    raise StopIteration

        try:
            stylizer.stylize(content, reporter=Callbacks(iteration=watch))
        except StopIteration:
            pass
        reached = f"{hits[0]:.1f}" if hits else "not reached"
        print(f"| {scales} | 600 | {reached} | {len(full)} |", flush=True)


if __name__ == "__main__":
    sys.exit(main())
