"""The lecture's network diagrams, generated from the model as graphviz DOT source.

The lecture draws each network by hand with ``gv('''...''')``: a left-to-right digraph whose grey
clusters are the layers ("Layer 0" holds the input). ``dot_source(model, style)`` writes the same
pictures for any ``nn.Linear`` or ``nn.Sequential`` of Linear layers, each optionally followed by
an activation layer, in the lecture's three styles:

- ``"compact"``: X -> X@W1 -> ReLU(X@W1) -> ReLU(X@W1)@W2:=yhat, one node per matrix expression;
- ``"weights"``: one node per unit, u1[:,j] = X@W1[:,j] and v1[:,j] = ReLU(u1[:,j]), edges
  labelled with the single weight they multiply by (``*W1[0,1]``);
- ``"nodes"``: one node per unit (node1, node2, ...), clusters named "Layer 1: ReLU".

A layer wider than ``MAX_UNITS`` is drawn as one summary node ("500 nodes"). Rendering needs
graphviz's ``dot`` program (``render``); the DOT source itself needs nothing.
"""

from __future__ import annotations

import shutil
import subprocess

import torch

STYLES = ("compact", "weights", "nodes")
MAX_UNITS = 6  # wider layers collapse to one summary node
INSTALL_HINT = (
    "install graphviz's `dot` program: `sudo apt-get install graphviz` (Debian/Ubuntu), "
    "`brew install graphviz` (macOS) or `conda install -c conda-forge graphviz`"
)


class GraphvizNotInstalled(RuntimeError):
    """Raised by ``render`` when graphviz's ``dot`` program is not on the PATH."""


def layers(model: torch.nn.Module) -> list[tuple[torch.nn.Linear, str | None]]:
    """``(linear, activation name or None)`` per layer of a Linear or a Sequential of them."""
    modules = [model] if isinstance(model, torch.nn.Linear) else list(model.children())
    found: list[tuple[torch.nn.Linear, str | None]] = []
    for module in modules:
        if isinstance(module, torch.nn.Linear):
            found.append((module, None))
        elif isinstance(module, torch.nn.Identity):
            continue
        elif found and found[-1][1] is None:
            found[-1] = (found[-1][0], type(module).__name__)
        else:
            raise ValueError(f"cannot draw {type(module).__name__}: it must follow a Linear layer")
    if not found:
        raise ValueError(f"cannot draw {type(model).__name__}: it has no Linear layer")
    return found


Node = str | tuple[str, str]  # a node's name, or (name, label) where they differ


def _units(name: str, count: int, suffix: str) -> list[str]:
    """Node names of a layer's units, or one summary node when the layer is wide."""
    if count > MAX_UNITS:
        return [f"{name} ({count} nodes)"]
    return [name + suffix.format(j=j, n=j + 1) for j in range(count)]


def _index(i: int, count: int) -> str:
    return ":" if count > MAX_UNITS else str(i)


def _compact(model_layers, inputs):
    """The lecture's (1): one node per matrix expression."""
    source = inputs[0] if len(inputs) == 1 else "X"
    clusters: list[tuple[str, list[Node]]] = [("Layer 0", [source])]
    edges = []
    for k, (linear, activation) in enumerate(model_layers, start=1):
        weight = f"@W{k}" + ("+b" + str(k) if linear.bias is not None else "")
        nodes = [f"{source}{weight}"]
        edges.append([source, nodes[0], weight])
        if activation is not None:
            nodes.append(f"{activation}({nodes[0]})")
            edges.append([nodes[0], nodes[1], activation])
        source = nodes[-1]
        clusters.append((f"Layer {k}", nodes))
    clusters[-1][1][-1] = edges[-1][1] = f"{source}:=yhat"
    return clusters, edges


def _per_unit(model_layers, inputs, *, weights: bool):
    """The lecture's (2) (``weights``: u, v and one weight per edge) and its node1/node2 form."""
    clusters: list[tuple[str, list[Node]]] = [("Layer 0", list(inputs))]
    edges = []
    sources, source_count = list(inputs), len(inputs)
    for k, (linear, activation) in enumerate(model_layers, start=1):
        width = linear.out_features
        if weights:
            pre = _units(f"u{k}", width, "[:,{j}]")
            post = _units(f"v{k}", width, "[:,{j}]") if activation else pre
        else:
            pre = post = _units("node" if k == 1 else f"node{k}.", width, "{n}")
        if k == len(model_layers):  # the output layer
            post = ["yhat"] if width == 1 else _units("yhat", width, "[:,{j}]")
            if not weights and k == 1 and width == 1:
                post = ["node1=yhat"]  # a one-layer net is a single node that outputs yhat
            if not (weights and activation):
                pre = post
        if linear.bias is not None:  # the lecture's "1" input, multiplied by the bias
            bias = f"bias{k}"
            clusters[-1][1].insert(0, (bias, "1"))
            edges += [
                [bias, u, f"*b{k}[{_index(j, width)}]" if weights else None]
                for j, u in enumerate(pre)
            ]
        for i, source in enumerate(sources):
            for j, target in enumerate(pre):
                label = f"*W{k}[{_index(i, source_count)},{_index(j, width)}]"
                edges.append([source, target, label if weights else None])
        if weights and activation:
            edges += [[u, v, activation] for u, v in zip(pre, post, strict=True)]
        nodes = [*pre, *post] if pre is not post else list(post)
        name = f"Layer {k}" if weights else f"Layer {k}: {activation or 'Identity'}"
        clusters.append((name, nodes))
        sources, source_count = post, width
    return clusters, edges


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _dot(clusters, edges) -> str:
    lines = ["digraph G {", '  rankdir="LR"']
    for number, (label, nodes) in enumerate(clusters, start=1):
        lines += [f"  subgraph cluster_{number} {{", "    style=filled;", "    color=lightgrey;"]
        for node in nodes:
            name, text = node if isinstance(node, tuple) else (node, None)
            lines.append(f"    {_quote(name)}" + (f" [label={_quote(text)}]" if text else ""))
        lines += [f"    label = {_quote(label)}", "  }"]
    for source, target, label in edges:
        lines.append(
            f"  {_quote(source)} -> {_quote(target)}"
            + (f" [label={_quote(label)}]" if label else "")
        )
    return "\n".join([*lines, "}"]) + "\n"


def dot_source(model: torch.nn.Module, style: str = "compact", inputs=None) -> str:
    """The lecture's ``gv(...)`` digraph of ``model`` in ``style`` (one of ``STYLES``).

    ``inputs`` names the input features (the lecture's ``"x", "x**2", "x**3"``); by default
    ``"X"`` for one feature and ``X[:,0], X[:,1], ...`` for several.
    """
    model_layers = layers(model)
    width = model_layers[0][0].in_features
    if inputs is not None and len(inputs) != width:
        raise ValueError(f"{len(inputs)} input names for {width} input features")
    names = (
        list(inputs)
        if inputs is not None
        else (["X"] if width == 1 else _units("X", width, "[:,{j}]"))
    )
    if style == "compact":
        return _dot(*_compact(model_layers, names))
    if style in ("weights", "nodes"):
        return _dot(*_per_unit(model_layers, names, weights=style == "weights"))
    raise ValueError(f"style must be one of {STYLES}, got {style!r}")


def render(source: str, fmt: str = "svg", *, timeout: float = 60) -> bytes:
    """Draw DOT ``source`` with graphviz's ``dot`` program (``fmt``: ``svg``, ``png``, ...).

    Raises ``GraphvizNotInstalled``, saying how to install it, when ``dot`` is not on the PATH.
    """
    dot = shutil.which("dot")
    if dot is None:
        raise GraphvizNotInstalled(f"cannot draw the diagram without graphviz: {INSTALL_HINT}")
    done = subprocess.run(
        [dot, f"-T{fmt}"], input=source.encode(), capture_output=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"dot -T{fmt} failed: {done.stderr.decode(errors='replace').strip()}")
    return done.stdout
