"""Tritonize example: a row softmax followed by a scale, as it might sit in model code.

Select the line marked "select me" (or the whole `scaled_softmax` function) and run
"Tritonize: Generate Triton kernel" (right-click, or Ctrl+Alt+K). Tritonize turns the selection
into a problem you confirm, asks the LLM for a Triton kernel, verifies it against this code and
benchmarks it. Nothing in this file changes unless you press Apply.
"""
import torch

ROWS, COLS = 4096, 1000


def scaled_softmax(x: torch.Tensor, scale: float) -> torch.Tensor:
    return torch.softmax(x * scale, dim=-1)  # select me


if __name__ == "__main__":
    x = torch.randn(ROWS, COLS, device="cuda" if torch.cuda.is_available() else "cpu")
    y = scaled_softmax(x, 0.125)
    print(y.shape, float(y.sum()))
