"""framestyle eval: how steady a stylized video is, against the video it was made from."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from .common import require_inputs
from .options import help_text


def evaluate(
    stylized: Annotated[Path, typer.Argument(help="The stylized video.", show_default=False)],
    original: Annotated[Path, typer.Argument(help="The video it was made from.", show_default=False)],
    chart: Annotated[
        Path | None,
        typer.Option(help=help_text("Per-frame chart PNG.", default="STYLIZED_warping.png"), show_default=False),
    ] = None,
    no_chart: Annotated[bool, typer.Option("--no-chart", help="Do not write the chart.")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print the report as JSON on stdout.")] = False,
    long_term: Annotated[
        int, typer.Option("--long-term", min=0, help="Also compare frames t and t+K (slow drift); 0: skip.")
    ] = 10,
    style: Annotated[
        list[Path] | None,
        typer.Option(
            help="The style image(s): also report the frames' mean style and content loss.", show_default=False
        ),
    ] = None,
) -> None:
    """Temporal stability: warping error (Lai et al. 2018) of STYLIZED against ORIGINAL."""
    require_inputs([(stylized, "video"), (original, "video")], styles=style or ())
    # Imported here, not at the top: OpenCV and numpy load only when a command runs (fast --help).
    from ..io.chart import write_line_chart
    from ..io.files import check_output
    from ..pipeline import evaluate_videos

    chart_path = None if no_chart else (chart or stylized.with_name(f"{stylized.stem}_warping.png"))
    if chart_path is not None:
        # The chart is derived from the report: redrawing it on every run is expected.
        check_output(chart_path, [stylized, original], overwrite=True)
    judged = evaluate_videos(stylized, original, long_term=long_term, styles=style or ())
    report, s_info = judged.short, judged.stylized
    if chart_path is not None:
        write_line_chart(
            chart_path,
            {"stylized": report.stylized, "original (floor)": report.original},
            title=f"warping error per frame pair: {stylized.name}",
            x_label="frame pair",
        )
    if json_out:
        data: dict[str, object] = {
            "stylized": str(stylized),
            "original": str(original),
            "size": [s_info.width, s_info.height],
        }
        data.update(report.as_dict())
        if judged.long is not None:
            data["long_term"] = {"gap": judged.gap, **judged.long.as_dict()}
        if judged.losses is not None:
            data["losses"] = {**judged.losses, "frames": judged.loss_frames}
        data["verdict"] = judged.verdict()
        data["chart"] = str(chart_path) if chart_path else None
        print(json.dumps(data, indent=1))
        return
    cuts = f" ({report.across_cuts} across cuts left out)" if report.across_cuts else ""
    print(f"frame pairs:              {report.pairs} at {s_info.width}x{s_info.height}{cuts}")
    print(f"warping error (stylized): {report.mean_stylized:.5f}")
    print(f"warping error (original): {report.mean_original:.5f}  (the floor)")
    print(f"ratio to original:        {report.ratio:.2f}x")
    if judged.long is not None:
        long = judged.long
        print(
            f"frames t..t+{judged.gap} (drift):   {long.mean_stylized:.5f} vs {long.mean_original:.5f}, {long.ratio:.2f}x"
        )
    if judged.losses is not None:
        losses = judged.losses
        print(
            f"losses ({judged.loss_frames} frames):       style {losses['style']:.4g}, content {losses['content']:.4g}"
        )
    print(judged.verdict())
    if chart_path is not None:
        print(f"chart:                    {chart_path}")
