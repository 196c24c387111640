"""The passes over a sequence: which frames each paints, in which order, and where.

Ruder et al. (2016, section 3.4) paint a clip in several passes of alternating
direction; a frame in a later pass starts from its previous picture blended with its
neighbour in this pass, warped. A pass that goes backwards sees the pixels a forward
pass saw enter at a border (a pan, a zoom) already painted, on the other side. We keep
the paper's blend and alternation but not its budget (up to 15 passes of 100 steps):
at 256 px, 48 frames, one backward pass of 10 steps after a forward one of 10 took
shuttle from 5.75x to 4.09x the source's warping error, and a pan's drift (t..t+10)
from 1.95x to 1.35x, at the style loss of the stills.

A pass before the last writes into a sub-folder of the work folder; the last writes the
frames the sinks read. The content frames are kept there too, at the working size: a
backward pass needs them in reverse, which a video decoder does not give.
"""

from __future__ import annotations

from ..events import painting_of
from ..store import FrameStore


def pass_store(store: FrameStore, number: int, passes: int) -> FrameStore:
    """Where pass ``number`` (from 0) of ``passes`` writes its frames."""
    return store if number == passes - 1 else store.stage(f"pass_{number + 1}")


def content_store(store: FrameStore) -> FrameStore:
    """The content frames at the working size, kept for the passes after the first."""
    return store.stage("content")


def pass_order(number: int, total: int) -> list[int]:
    """The frames pass ``number`` paints, in order: forward, then back, and so on.

    >>> pass_order(0, 3), pass_order(1, 3)
    ([0, 1, 2], [2, 1, 0])
    """
    return [painting_of(number * total + position, total)[1] for position in range(total)]


def painted_in_order(store: FrameStore, order: list[int]) -> int:
    """How many frames of ``order``, from its start, ``store`` already holds."""
    count = 0
    while count < len(order) and store.frame_path(order[count]).exists():
        count += 1
    return count


def paintings_done(store: FrameStore, total: int, passes: int) -> int:
    """The paintings (a frame in one pass) an earlier run finished, over all passes (one
    pass: the frames finished in a row, as ``store.finished`` counts them)."""
    return sum(painted_in_order(pass_store(store, n, passes), pass_order(n, total)) for n in range(passes))


def frames_done(store: FrameStore, total: int, passes: int) -> int:
    """Frames an earlier run finished, counted as whole passes are: the paintings done
    over all passes, divided by the number of passes (what a user would call progress)."""
    return paintings_done(store, total, passes) // passes
