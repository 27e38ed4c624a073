"""Job keys for tests that train or verify outside a chain: two jobs on one made-up ledger (chain 31337)."""
from prover.jobkey import job_key

LEDGER = "0x" + "1d" * 20
JOB_KEY = job_key(31337, LEDGER, 1)
OTHER_JOB_KEY = job_key(31337, LEDGER, 2)
