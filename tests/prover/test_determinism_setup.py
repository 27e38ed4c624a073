"""configure_determinism turns torch's deterministic algorithms on without loading its compiler stack (1.5 s of
CPU per node and replay process), and still through the public call once something loaded inductor."""
from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import json, sys
import prover.determinism as d
import torch
{before}
d.configure_determinism()
print(json.dumps({{"on": torch.are_deterministic_algorithms_enabled(),
                  "warn_only": torch.is_deterministic_algorithms_warn_only_enabled(),
                  "inductor_loaded": "torch._inductor" in sys.modules,
                  "inductor_flag": getattr(sys.modules.get("torch._inductor.config"), "deterministic", None)}}))
"""


def probe(before: str = "") -> dict:
    out = subprocess.run([sys.executable, "-c", PROBE.format(before=before)], capture_output=True, text=True,
                         check=True, timeout=120)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_deterministic_algorithms_are_on_and_the_compiler_stack_stays_unloaded():
    assert probe() == {"on": True, "warn_only": False, "inductor_loaded": False, "inductor_flag": None}


def test_once_inductor_is_loaded_its_deterministic_flag_is_set_too():
    assert probe("import torch._inductor.config") == {"on": True, "warn_only": False, "inductor_loaded": True,
                                                      "inductor_flag": True}

