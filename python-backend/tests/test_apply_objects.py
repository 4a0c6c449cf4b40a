"""Selections that read tensors and numbers out of an object the code was handed (a config
dataclass, a batch dict): the chains are the inputs, read at the call site like `self.` chains
(red team 9: nanogpt_config, dict_batch_input were refused as "neither a tensor nor a literal").
Anything that uses the object itself, calls its methods or updates it through a chain stays refused."""

from __future__ import annotations

import textwrap

import pytest

from tritonize.extract.errors import ExtractError
from tritonize.extract.problem import extract

from test_apply_redteam import apply_and_run, lines_of

CONFIG = textwrap.dedent('''\
    import math
    from dataclasses import dataclass
    import torch
    import torch.nn.functional as F


    @dataclass
    class Cfg:
        n_head: int = 2
        scale: float = 0.5


    def attention(q, k, config):
        B, T, C = q.shape
        hs = C // config.n_head
        q = q.view(B, T, config.n_head, hs).transpose(1, 2)
        k = k.view(B, T, config.n_head, hs).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (config.scale / math.sqrt(hs))
        y = F.softmax(att, dim=-1)
        return y.sum(dim=1)


    if __name__ == "__main__":
        torch.manual_seed(0)
        cfg = Cfg()
        q, k = torch.randn(2, 2, 5, 16).unbind(0)
        with torch.no_grad():
            print(round(attention(q, k, cfg).sum().item(), 5))
    ''')

BATCH = textwrap.dedent('''\
    import torch
    import torch.nn.functional as F


    def lm_loss(logits, batch):
        V = logits.shape[-1]
        loss = F.cross_entropy(logits.view(-1, V), batch["labels"].view(-1), ignore_index=-100)
        return loss


    if __name__ == "__main__":
        torch.manual_seed(0)
        batch = {"input_ids": torch.randint(0, 11, (2, 6)), "labels": torch.randint(0, 11, (2, 6))}
        batch["labels"][0, :2] = -100
        with torch.no_grad():
            print(round(lm_loss(torch.randn(2, 6, 11), batch).item(), 5))
    ''')


@pytest.mark.parametrize("placement", ["same-file", "module"])
def test_config_attributes_are_inputs_read_at_the_call_site(tmp_path, placement):
    before, after, res = apply_and_run(tmp_path, CONFIG, "B, T, C = q.shape", 6, placement)
    assert after == before
    site = next(ln for ln in res["text"].split("\n") if ln.strip().startswith("y = tritonize_"))
    assert "config.n_head" in site and "config.scale" in site, site
    problem = res["extraction"]["problem"]
    assert "config" not in problem.split("class Model")[1].split("def get_inputs")[0]  # no object in the problem
    assert "# config.n_head" in problem and "# config.scale" in problem


def test_a_dict_entry_is_an_input_and_its_ignore_index_survives_in_the_problem(tmp_path):
    before, after, res = apply_and_run(tmp_path, BATCH, "loss = F.cross_entropy", 1, "same-file")
    assert after == before
    problem = res["extraction"]["problem"]
    assert "# batch['labels']" in problem
    # The labels are drawn from the values seen (0..10 and -100), never from the range between.
    line = next(ln for ln in problem.split("\n") if "# batch['labels']" in ln)
    assert "-100" in line and "randint(-100" not in line, line


@pytest.mark.parametrize("change, why", [
    ("y = F.softmax(att, dim=-1)", "y = F.softmax(att, dim=-1) + 0 * len(vars(config))"),  # the object itself
    ("hs = C // config.n_head", "hs = C // config.heads()"),  # a method of the object
])
def test_using_the_object_itself_is_still_refused(tmp_path, change, why):
    text = CONFIG.replace(change, why).replace("scale: float = 0.5", "scale: float = 0.5\n\n    def heads(self):\n        return self.n_head")
    path = tmp_path / "prog.py"
    path.write_text(text)
    with pytest.raises(ExtractError) as err:
        extract(text, str(path), *lines_of(text, "B, T, C = q.shape", 6))
    assert "'config' is a Cfg, neither a tensor nor a literal" in err.value.reason


def test_an_update_through_the_chain_is_refused(tmp_path):
    text = BATCH.replace('    loss = F.cross_entropy', '    batch["labels"].clamp_(min=-100)\n    loss = F.cross_entropy')
    path = tmp_path / "prog.py"
    path.write_text(text)
    with pytest.raises(ExtractError) as err:
        extract(text, str(path), *lines_of(text, 'batch["labels"].clamp_', 2))
    assert "'batch' is a dict" in err.value.reason
