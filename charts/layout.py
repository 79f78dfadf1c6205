"""Ask Graphviz where the boxes and links of a flow go.

The drawing itself stays ours (rendering.py writes the SVG, with the site's
classes, text and title): Graphviz's dot only places boxes of the sizes we
measured, routes the links between them around the other boxes, and keeps
room beside each link for its label. Its answer, read from ``dot -Tjson``,
is turned round into SVG's coordinates (y down, in pixels).
"""

import functools
import json
import logging
import subprocess
from dataclasses import dataclass, field

import graphviz

logger = logging.getLogger(__name__)

POINTS_PER_INCH = 72


class LayoutUnavailable(Exception):
    """Graphviz is missing or failed: the flow cannot be laid out."""


@dataclass(frozen=True)
class Box:
    width: float
    height: float


@dataclass(frozen=True)
class Link:
    tail: int  # index of the box it leaves
    head: int  # index of the box it reaches
    label: tuple[float, float] | None = None  # room for its label: width, height
    arrow: float = 10.0  # length of the arrowhead


@dataclass
class PlacedLink:
    curve: list[tuple[float, float]]  # a cubic Bézier: start, then 3 per segment
    tip: tuple[float, float]  # where the arrowhead points
    label: tuple[float, float] | None  # the centre of its label


@dataclass
class Placement:
    width: float
    height: float
    centres: list[tuple[float, float]] = field(default_factory=list)
    links: list[PlacedLink] = field(default_factory=list)


def _inches(pixels):
    return f"{pixels / POINTS_PER_INCH:.4f}"


def source(boxes, links, direction="LR", node_gap=18, rank_gap=26, first=()):
    """The dot graph for ``boxes`` and ``links``; sizes in pixels.

    The boxes ``first`` (indexes) start the flow side by side, in that order.
    """
    graph = graphviz.Digraph(
        graph_attr={
            "rankdir": direction,
            "nodesep": _inches(node_gap),
            "ranksep": _inches(rank_gap),
            "splines": "true",
            "margin": "0",
            "pad": "0",
        },
        node_attr={"shape": "box", "fixedsize": "true", "label": "", "margin": "0"},
    )
    # Links leave a box by the side that faces the way the flow runs.
    ports = {"tailport": "e" if direction == "LR" else "s"}
    for index, box in enumerate(boxes):
        graph.node(f"n{index}", width=_inches(box.width), height=_inches(box.height))
    for index, link in enumerate(links):
        attrs = {"id": f"e{index}", "arrowsize": f"{link.arrow / 10:.2f}", **ports}
        if link.label is not None:
            # An empty cell of the label's measured size: dot keeps that room
            # clear beside the link without measuring any text itself.
            width, height = link.label
            attrs["label"] = (
                '<<TABLE BORDER="0" CELLPADDING="0" CELLSPACING="0"><TR>'
                f'<TD FIXEDSIZE="TRUE" WIDTH="{round(width)}" '
                f'HEIGHT="{round(height)}"></TD></TR></TABLE>>'
            )
        graph.edge(f"n{link.tail}", f"n{link.head}", **attrs)
    if len(first) > 1:
        # Left to itself, dot may shuffle where the flow starts; an unseen
        # chain through one rank keeps the order of the table.
        chain = " -> ".join(f"n{index}" for index in first)
        graph.body.append(f"\t{{rank=same; {chain} [style=invis]}}\n")
    return graph.source


@functools.lru_cache(maxsize=256)
def _run_dot(text):
    """dot's JSON answer for the graph ``text``; the same graph is laid out
    once per process."""
    try:
        return json.loads(graphviz.pipe("dot", "json", text.encode("utf-8")))
    except (graphviz.ExecutableNotFound, subprocess.CalledProcessError, OSError):
        logger.exception("Graphviz could not lay out a flow chart.")
        raise LayoutUnavailable from None
    except ValueError:
        logger.exception("Graphviz answered with JSON that does not read.")
        raise LayoutUnavailable from None


def _point(text):
    x, y = text.split(",")[-2:]
    return float(x), float(y)


def place(boxes, links, **gaps):
    """Lay out ``boxes`` and ``links``; return where each one goes.

    Raise LayoutUnavailable if Graphviz cannot be run.
    """
    answer = _run_dot(source(boxes, links, **gaps))
    left, bottom, right, top = (float(n) for n in answer["bb"].split(","))

    def flip(point):
        return point[0] - left, top - point[1]

    placement = Placement(width=right - left, height=top - bottom)
    centres = {}
    for item in answer.get("objects", []):
        if "pos" in item:  # Not the unseen group of first boxes.
            centres[item["name"]] = flip(_point(item["pos"]))
    placement.centres = [centres[f"n{index}"] for index in range(len(boxes))]
    by_id = {edge.get("id"): edge for edge in answer.get("edges", [])}
    for index in range(len(links)):
        edge = by_id[f"e{index}"]
        tip, curve = None, []
        for token in edge["pos"].split():
            if token.startswith("e,"):
                tip = flip(_point(token))
            elif not token.startswith("s,"):
                curve.append(flip(_point(token)))
        label = flip(_point(edge["lp"])) if "lp" in edge else None
        placement.links.append(PlacedLink(curve, tip or curve[-1], label))
    return placement
