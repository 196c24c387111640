"""The command line: parse flags, call the pipeline, report. Nothing else lives here.

``main`` is the boundary: every failure becomes one line on stderr and an exit code, and
the settings that core messages name (in backticks) are spelled as this CLI's flags.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import signal
import sys
from typing import Annotated

import typer

from ..errors import FramestyleError, Interrupted
from ..ui.flags import flag_spelling
from .evaluate import evaluate
from .image import image
from .images import images
from .presets import presets
from .preview import preview
from .video import video

app = typer.Typer(
    name="framestyle",
    help="Paint images and videos in the style of an artwork (neural style transfer, VGG19).",
    # --install-completion / --show-completion: typer's own shell completion (bash, zsh, fish, PowerShell).
    add_completion=True,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


def _version(value: bool) -> None:
    if value:
        from .. import __version__

        print(f"framestyle {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """Paint images and videos in the style of an artwork (neural style transfer, VGG19)."""


app.command()(image)
app.command()(video)
app.command()(preview)
app.command("eval")(evaluate)
app.command()(images)
app.command()(presets)


def _usage_message(err: typer.TyperException) -> str:
    """One line for a usage error; a bad choice reads like a bad choice in a preset."""
    message = " ".join(err.format_message().split())
    param = getattr(err, "param", None)
    # typer says "[Value error, ]'sgd' is not one of 'lbfgs', 'adam'."
    choices = re.search(r"""(?:^|, )('.*'|".*") is not one of (.*?)\.?$""", getattr(err, "message", ""))
    opts = getattr(param, "opts", None)
    if choices and opts:
        return f"{max(opts, key=len)} must be one of {choices.group(2)} (got {choices.group(1)})"
    return message


def _error(message: str) -> None:
    print(f"framestyle: error: {message}", file=sys.stderr)


# The variable click's shell completion sets when the shell asks for candidates (named after prog_name).
_COMPLETE_VAR = "_FRAMESTYLE_COMPLETE"


def resume_hint(message: str, args: list[str]) -> str:
    """An interrupted run's message with the exact command that continues it, on one line.

    The command is the one that was run: the work folder it left is found again by the
    same output name, and `--restart` only discards frames made with other settings.

    >>> resume_hint("interrupted after 2 of 5 frames; run the same command again to resume",
    ...             ["video", "my clip.mp4", "starry.jpg", "-o", "out.gif"])
    "interrupted after 2 of 5 frames; run the same command again to resume: framestyle video 'my clip.mp4' starry.jpg -o out.gif"
    """
    return f"{message}: {shlex.join(['framestyle', *args])}"


def _stop_on_terminate(signum: int, frame: object) -> None:
    # `kill`, `docker stop` and schedulers send SIGTERM: stop as cleanly as after Ctrl-C.
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; every failure becomes one line on stderr and an exit code."""
    signal.signal(signal.SIGTERM, _stop_on_terminate)
    command = typer.main.get_command(app)
    args = sys.argv[1:] if argv is None else argv
    # A bare `framestyle` is a usage error: rich prints its help on stdout, so send it to stderr.
    # Shell completion also runs with no arguments (the words are in the environment), and
    # the shell reads the candidates from stdout, so leave stdout alone then.
    completing = _COMPLETE_VAR in os.environ
    bare = contextlib.redirect_stdout(sys.stderr) if not args and not completing else contextlib.nullcontext()
    try:
        with bare:
            result = command.main(args=args, prog_name="framestyle", standalone_mode=False)
        return result if isinstance(result, int) else 0
    except typer.Exit as exit_:
        return exit_.exit_code
    except typer.TyperException as err:  # usage errors: unknown flag, bad number, bad choice...
        if type(err).__name__ == "NoArgsIsHelpError":
            if err.format_message():  # without rich the help is the message
                print(err.format_message(), file=sys.stderr)
        else:
            _error(_usage_message(err))
        return 2
    except (KeyboardInterrupt, typer.Abort):
        _error("interrupted")
        return 130
    except Interrupted as err:
        _error(resume_hint(flag_spelling(str(err)), args))
        return err.exit_code
    except FramestyleError as err:
        _error(flag_spelling(str(err)))
        return err.exit_code
    except MemoryError:
        _error("out of memory; try a smaller --size")
        return 2
    except Exception as err:  # a bug: say so in one line unless asked for the traceback
        if os.environ.get("FRAMESTYLE_DEBUG"):
            raise
        if "out of memory" in str(err).lower():
            _error("out of memory; try a smaller --size")
            return 2
        _error(f"internal error: {type(err).__name__}: {err} (FRAMESTYLE_DEBUG=1 shows the traceback)")
        return 1


def run() -> None:
    sys.exit(main())


__all__ = ["app", "flag_spelling", "main", "run"]
