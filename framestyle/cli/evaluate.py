"""framestyle eval: how steady a stylized video is, against the video it was made from."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

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
) -> None:
    """Temporal stability: warping error (Lai et al. 2018) of STYLIZED against ORIGINAL."""
    # Imported here, not at the top: OpenCV and numpy load only when a command runs (fast --help).
    from ..io.chart import write_line_chart
    from ..io.files import check_output
    from ..pipeline import evaluate_videos

    chart_path = None if no_chart else (chart or stylized.with_name(f"{stylized.stem}_warping.png"))
    if chart_path is not None:
        # The chart is derived from the report: redrawing it on every run is expected.
        check_output(chart_path, [stylized, original], overwrite=True)
    report, s_info, _ = evaluate_videos(stylized, original)
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
        data["chart"] = str(chart_path) if chart_path else None
        print(json.dumps(data, indent=1))
        return
    print(f"frame pairs:              {report.pairs} at {s_info.width}x{s_info.height}")
    print(f"warping error (stylized): {report.mean_stylized:.5f}")
    print(f"warping error (original): {report.mean_original:.5f}  (the floor)")
    print(f"ratio to original:        {report.ratio:.2f}x")
    if chart_path is not None:
        print(f"chart:                    {chart_path}")
