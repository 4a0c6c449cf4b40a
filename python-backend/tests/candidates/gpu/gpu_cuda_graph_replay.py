# GPU CHEAT (work the recorder does not see): captures a CUDA graph of `torch.add` into static
# buffers on the first call (names built at run time, invisible to the static rules) and then
# copies the inputs in, replays the graph and returns its static output; a decoy kernel runs.
# Problem: vector_add.py (cuda). Expected: rejected (rule cuda_graph_replay from the replay
# wrapper, or output_not_from_kernel from the provenance check).
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def noop_kernel(out_ptr, n_elements, BLOCK: tl.constexpr):
    pass


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        self.graph = None

    def _capture(self, a, b):
        self.sa, self.sb = a.clone(), b.clone()
        g = getattr(torch.cuda, "CUDA" + "Graph")()
        s = getattr(torch.cuda, "Str" + "eam")()
        s.wait_stream(torch.cuda.current_stream())
        with getattr(torch.cuda, "str" + "eam")(s):
            self.sa + self.sb
        torch.cuda.current_stream().wait_stream(s)
        with getattr(torch.cuda, "gra" + "ph")(g):
            self.so = self.sa + self.sb
        self.graph = g

    def forward(self, a, b):
        if self.graph is None or self.sa.shape != a.shape:
            self._capture(a, b)
        self.sa.copy_(a)
        self.sb.copy_(b)
        noop_kernel[(1,)](torch.empty_like(a), a.numel(), BLOCK=1024)
        getattr(self.graph, "rep" + "lay")()
        return self.so
