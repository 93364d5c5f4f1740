"""The public names promised in DESIGN.md, used exactly as its snippets use them."""

import numpy as np

import nn
from autograd import Tensor, Value, draw_graph, gradcheck, no_grad


def test_value_snippet():
    x = Value(2.0)
    y = (x * x + x.tanh()).relu()
    y.backward()
    assert x.data == 2.0
    assert np.isclose(x.grad, 2 * 2.0 + 1 - np.tanh(2.0) ** 2)


def test_tensor_snippet_keeps_float64_and_makes_lists_float32():
    t = Tensor(np.ones((3, 4)), requires_grad=True)
    assert t.data.dtype == np.float64 and t.shape == (3, 4)
    assert Tensor([1, 2]).data.dtype == np.float32
    assert Tensor(np.arange(3)).data.dtype == np.float32
    (t * 2).sum().backward()
    assert t.grad.shape == t.data.shape and t.grad.dtype == t.data.dtype


def test_tensor_ops_named_in_the_design_exist():
    t = Tensor(np.linspace(0.1, 1.2, 12).reshape(3, 4), requires_grad=True)
    w = Tensor(np.ones((4, 2)), requires_grad=True)
    out = ((t + 1 - t * 2 / 3) ** 2 @ w).sum(axis=0, keepdims=True).mean()
    out = out + t.max() + t.reshape(4, 3).transpose().T.sum() + t.exp().log().tanh().sum()
    out = out + t.sigmoid().relu().log_softmax(axis=1).sum()
    out.backward()
    assert t.grad.shape == (3, 4)


def test_gradcheck_and_no_grad_snippets():
    assert gradcheck(lambda a: (a * a).sum(), [Tensor(np.ones(3), requires_grad=True)])
    x = Value(1.0)
    with no_grad():
        assert (x * 2).parents == ()


def test_draw_graph_snippet_returns_a_digraph_with_svg():
    x = Value(2.0)
    graph = draw_graph((x * x).tanh())
    assert "digraph" in graph.source
    assert b"<svg" in graph.pipe(format="svg")


def test_nn_snippets():
    model = nn.MLP(2, [2, 1], activation="sigmoid", output_activation="sigmoid")
    out = model([1.0, 0.0])
    assert isinstance(out, list) and len(out) == 1 and isinstance(out[0], Value)
    net = nn.Sequential(nn.Linear(784, 16), nn.Sigmoid(), nn.Linear(16, 10))
    assert sum(p.data.size for p in net.parameters()) == 12_730
    model.parameters()
    model.zero_grad()
    d = model.state_dict()
    model.load_state_dict(d)
    twin = nn.Sequential(nn.Linear(2, 2), nn.Sigmoid(), nn.Linear(2, 1), nn.Sigmoid())
    twin.load_state_dict({k: v.astype(np.float32) for k, v in d.items()})  # one mapping
    loss = nn.mse_loss(out[0], 1.0)
    logits = Tensor(np.zeros((2, 10)), requires_grad=True)
    ce = nn.cross_entropy(logits, np.array([3, 7]))
    assert np.isclose(ce.item(), np.log(10))
    opt = nn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    loss.backward()
    opt.step()
    opt.zero_grad()
    nn.optim.Adam(net.parameters())
