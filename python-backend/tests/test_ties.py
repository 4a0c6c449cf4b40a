"""judge/ties.py: indices that differ from PyTorch's only in the order of tied values."""

import torch

from tritonize.judge.ties import same_values

X = torch.tensor([[5.0, 5.0, 5.0, 1.0], [3.0, 1.0, 3.0, 3.0]])


def test_other_tied_positions_pass():
    ref = X.topk(2, dim=-1).indices
    assert same_values(torch.tensor([[2, 0], [3, 0]]), ref, [X])


def test_wrong_values_repeated_or_out_of_range_indices_fail():
    ref = X.topk(2, dim=-1).indices
    assert not same_values(torch.tensor([[0, 3], [0, 2]]), ref, [X])   # index 3 holds 1.0, not 5.0
    assert not same_values(torch.tensor([[0, 0], [0, 0]]), ref, [X])   # the same tied position twice
    assert not same_values(torch.tensor([[0, 9], [0, 2]]), ref, [X])   # past the row
    assert not same_values(torch.tensor([[0, 1], [0, 2]], dtype=torch.int32), ref, [X])  # dtype differs


def test_argmax_style_indices_with_the_dimension_removed():
    ref = X.argmax(dim=-1)
    assert same_values(torch.tensor([2, 3]), ref, [X])
    assert not same_values(torch.tensor([3, 1]), ref, [X])


def test_no_float_input_no_excuse():
    ref = torch.tensor([[0, 1]])
    assert not same_values(torch.tensor([[1, 0]]), ref, [torch.tensor([[1, 1]])])


def test_the_input_must_be_the_ops_own():
    """A quantised second input must not excuse indices that are wrong for the first: the reference's
    values identify the input the indices point into."""
    x = torch.tensor([[0.3, 0.9, 0.1, 0.5]])
    y = torch.tensor([[1.0, 1.0, 1.0, 1.0]])  # every index "selects the same value" here
    top = x.topk(2, dim=-1)
    wrong = torch.tensor([[2, 0]])
    assert not same_values(wrong, top.indices, [y, x], [top.values])
    assert not same_values(wrong, top.indices, [y, x])  # indices alone: two inputs fit, no excuse
    assert same_values(top.indices, top.indices, [y, x], [top.values])
