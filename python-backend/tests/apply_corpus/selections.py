"""The Apply corpus: selections over realistic model files, each with the candidate Apply uses.

A selection is (file, how, what): 'lines' selects whole lines starting at the first line that
contains `what` (count lines); 'expr' selects the exact text `what`; 'def'/'class' a whole
definition. `candidate` is 'faithful' (the problem's own Model, as ModelNew) or a Triton file in
apply_corpus/candidates/.
"""

SELECTIONS = [
    # transformer.py: norms, attention, MLP, residual adds, whole classes
    ("transformer.py", "expr", "x32.pow(2).mean(-1, keepdim=True)", "faithful"),
    ("transformer.py", "lines", ("x32 = x.float()", 3), "faithful"),
    ("transformer.py", "lines", ("y = x32 * torch.rsqrt", 1), "faithful"),
    ("transformer.py", "expr", "(y * self.weight.float()).to(x.dtype)", "faithful"),
    ("transformer.py", "def", "rotate_half", "faithful"),
    ("transformer.py", "lines", ("q = q * ang.cos()", 1), "faithful"),
    ("transformer.py", "lines", ("inv = ROPE_BASE", 1), "faithful"),
    ("transformer.py", "lines", ("scores = (q @ k.transpose", 1), "faithful"),
    ("transformer.py", "lines", ("mask = torch.ones(t, t", 2), "faithful"),
    ("transformer.py", "lines", ("probs = torch.softmax", 1), "faithful"),
    ("transformer.py", "expr", "F.gelu(h + self.up_bias)", "bias_gelu.py"),
    ("transformer.py", "lines", ("h = F.gelu(h + self.up_bias)", 1), "faithful"),
    ("transformer.py", "lines", ("x = x + h", 1), "add.py"),
    ("transformer.py", "lines", ("x += m", 1), "add.py"),
    ("transformer.py", "class", "RMSNorm", "faithful"),
    ("transformer.py", "class", "Attention", "faithful"),
    ("transformer.py", "lines", ("y = (probs @ v)", 1), "faithful"),
    # losses.py: module-level functions with defaults and globals
    ("losses.py", "def", "cross_entropy", "faithful"),
    ("losses.py", "def", "smoothed_cross_entropy", "faithful"),
    ("losses.py", "def", "focal_loss", "faithful"),
    ("losses.py", "lines", ("quad = torch.clamp", 2), "faithful"),
    ("losses.py", "lines", ("p = torch.log_softmax(p_logits", 2), "faithful"),
    ("losses.py", "expr", "(p.exp() * (p - q)).sum(-1)", "faithful"),
    # norms.py: in-place buffer updates, tuple targets, plain attributes
    ("norms.py", "class", "LayerNorm", "faithful"),
    ("norms.py", "lines", ("mean = x.mean(-1, keepdim=True)", 3), "faithful"),
    ("norms.py", "lines", ("self.running_mean.mul_", 2), "faithful"),
    ("norms.py", "lines", ("mean, var = x.mean(0)", 1), "faithful"),
    ("norms.py", "def", "group_norm", "faithful"),
    # ("norms.py", "lines", ("self.steps += 1", 1)): plain numbers, refused since session 8
    # (tests/test_apply_redteam5.py::test_plain_number_selections_are_refused_before_any_llm_call).
    # training.py: loops, in-place optimiser updates, computed globals, multi-output
    ("training.py", "def", "adam_step", "faithful"),
    ("training.py", "lines", ("pred = feats @ w", 3), "faithful"),
    ("training.py", "lines", ("ema = 0.9 * ema", 1), "ema.py"),
    ("training.py", "def", "features", "faithful"),
    ("training.py", "lines", ("running = lo.mean()", 1), "faithful"),
    ("training.py", "lines", ("m_hat = m /", 2), "faithful"),
    # vision.py: conv block statistics, module-level helpers, multi-output heads
    ("vision.py", "def", "swish", "faithful"),
    ("vision.py", "lines", ("mu = y.mean((0, 2, 3)", 3), "faithful"),
    ("vision.py", "expr", "x * torch.sigmoid(beta * x)", "faithful"),
    ("vision.py", "class", "Head", "faithful"),
    ("vision.py", "lines", ("pooled = x.amax", 2), "faithful"),
    ("vision.py", "class", "SqueezeExcite", "faithful"),
]
