"""Names of aten ops (overload packets) the verifier treats as not computing an answer."""

from __future__ import annotations

# Ops that only allocate, describe or re-view memory: a kernel wrapper legitimately uses them.
# frozensets: a candidate that reaches this module (sys.modules, __globals__) cannot add to them.
ALLOC_AND_VIEW = frozenset({
    "empty", "empty_like", "empty_strided", "new_empty", "new_empty_strided", "zeros", "zeros_like",
    "new_zeros", "ones", "ones_like", "new_ones", "full", "full_like", "new_full", "fill", "fill_", "zero_",
    "view", "_unsafe_view", "reshape", "_reshape_alias", "as_strided", "expand", "permute", "transpose",
    "t", "squeeze", "unsqueeze", "slice", "select", "narrow", "split", "split_with_sizes", "chunk",
    "unbind", "alias", "detach", "lift_fresh", "view_as", "expand_as", "flatten", "unflatten", "movedim",
    "resize_", "set_", "_local_scalar_dense", "sym_size", "sym_stride", "sym_numel", "sym_storage_offset",
    "is_contiguous", "contiguous", "record_stream", "dim", "size", "stride", "numel", "_to_copy_meta",
    "arange",  # an index table (red team 8: rejected as pytorch_fallback); it reads no tensor
    # More views (red team 10: complex via view_as_real was pytorch_fallback): no element computed.
    "view_as_real", "view_as_complex", "unfold", "diagonal", "swapaxes", "swapdims", "_unsafe_view",
    # A named profiler range (torch.profiler.record_function around a launch): a string and a handle
    # (red team 27 c27: called PyTorch compute).
    "_record_function_enter", "_record_function_enter_new", "_record_function_exit",
})

# Ops that move or convert data without computing the answer: allowed, but listed as evidence.
# Copies keep every element where it is (a kernel's output is often one of them)...
COPIES = frozenset({"clone", "copy_", "_to_copy", "to", "_copy_from", "_copy_from_and_resize"})
# ...rearrangements move, replicate or pad elements: preparation for a kernel (red team 10: F.pad
# before a window kernel, the reverse cumsum's flips were pytorch_fallback), but the answer itself
# when the reference does nothing else (judge/verdicts.py).
REARRANGEMENTS = frozenset({"cat", "stack", "constant_pad_nd", "flip", "roll", "repeat"})
DATA_MOVEMENT = COPIES | REARRANGEMENTS
