"""Network diagrams: DOT source generated from nn.Sequential, rendered by graphviz when present."""

import shutil

import pytest
import torch

from lessons import _diagrams
from lessons._diagrams import STYLES, GraphvizNotInstalled, dot_source, layers, render

needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None, reason="graphviz's dot is not installed (apt-get install graphviz)"
)


def relu_net(width: int, bias: bool = False) -> torch.nn.Sequential:
    """The lecture's 1 -> width -> 1 ReLU net (the weights do not matter to a diagram)."""
    return torch.nn.Sequential(
        torch.nn.Linear(1, width, bias=bias), torch.nn.ReLU(), torch.nn.Linear(width, 1, bias=bias)
    )


def test_compact_style_is_the_lectures_first_drawing():
    source = dot_source(relu_net(2), "compact")
    assert source.startswith('digraph G {\n  rankdir="LR"\n')
    for line in (
        '"X" -> "X@W1" [label="@W1"]',
        '"X@W1" -> "ReLU(X@W1)" [label="ReLU"]',
        '"ReLU(X@W1)" -> "ReLU(X@W1)@W2:=yhat" [label="@W2"]',
        'label = "Layer 0"',
        'label = "Layer 2"',
        "style=filled;",
        "color=lightgrey;",
    ):
        assert line in source


def test_weights_style_has_one_weight_per_edge():
    source = dot_source(relu_net(2), "weights")
    for line in (
        '"X" -> "u1[:,0]" [label="*W1[0,0]"]',
        '"X" -> "u1[:,1]" [label="*W1[0,1]"]',
        '"u1[:,1]" -> "v1[:,1]" [label="ReLU"]',
        '"v1[:,0]" -> "yhat" [label="*W2[0,0]"]',
        '"v1[:,1]" -> "yhat" [label="*W2[1,0]"]',
    ):
        assert line in source


def test_nodes_style_names_the_activation_in_the_cluster():
    source = dot_source(relu_net(2), "nodes")
    assert 'label = "Layer 1: ReLU"' in source
    assert '"X" -> "node2"' in source and '"node1" -> "yhat"' in source


def test_one_linear_node_with_named_inputs_is_example_2():
    source = dot_source(torch.nn.Linear(3, 1), "nodes", inputs=("x", "x**2", "x**3"))
    assert 'label = "Layer 1: Identity"' in source
    assert '"x**3" -> "node1=yhat"' in source
    assert '"bias1" [label="1"]' in source and '"bias1" -> "node1=yhat"' in source


def test_wide_layer_collapses_to_a_summary_node():
    net = torch.nn.Sequential(torch.nn.Linear(1, 500), torch.nn.Sigmoid(), torch.nn.Linear(500, 1))
    for style in ("weights", "nodes"):
        source = dot_source(net, style)
        assert "500 nodes" in source
        assert source.count("->") < 10
    assert '"X" -> "u1 (500 nodes)" [label="*W1[0,:]"]' in dot_source(net, "weights")


def test_identity_layers_are_skipped_and_misplaced_activations_rejected():
    assert len(layers(torch.nn.Sequential(torch.nn.Linear(1, 1), torch.nn.Identity()))) == 1
    with pytest.raises(ValueError, match="must follow a Linear"):
        dot_source(torch.nn.Sequential(torch.nn.ReLU(), torch.nn.Linear(1, 1)))
    with pytest.raises(ValueError, match="style must be one of"):
        dot_source(relu_net(1), "fancy")
    with pytest.raises(ValueError, match="2 input names for 1 input features"):
        dot_source(relu_net(1), inputs=("a", "b"))


def test_quotes_in_names_are_escaped():
    source = dot_source(torch.nn.Linear(1, 1), "nodes", inputs=('say "x"',))
    assert '"say \\"x\\""' in source


@needs_dot
@pytest.mark.parametrize("style", STYLES)
def test_dot_renders_every_style_to_svg(style):
    svg = render(dot_source(relu_net(2, bias=True), style)).decode()
    assert "<svg" in svg and "Layer 1" in svg


def test_without_dot_render_says_how_to_install_it(monkeypatch):
    monkeypatch.setattr(_diagrams.shutil, "which", lambda name: None)
    with pytest.raises(GraphvizNotInstalled, match="apt-get install graphviz"):
        render(dot_source(relu_net(1)))
