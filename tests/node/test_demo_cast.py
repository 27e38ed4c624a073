"""The demo's cast (node/demo.py Cast): the README's demo by default, any size the devnet's accounts allow."""
import pytest

from node.chain.devaccounts import ANVIL_ACCOUNT_COUNT
from node.demo import Cast


def test_the_default_cast_is_the_readme_demo():
    cast = Cast.of()
    assert (cast.honest_workers, cast.cheater, cast.honest_verifiers, cast.colluders, cast.aggregator) == \
        ((1, 2, 3), 4, (5, 6, 7, 8), (9, 10), 11)


def test_a_larger_cast_uses_distinct_accounts_and_a_too_large_one_is_refused():
    cast = Cast.of(12, 8)
    indices = [*cast.honest_workers, cast.cheater, *cast.honest_verifiers, *cast.colluders, cast.aggregator]
    assert len(indices) == len(set(indices)) == 22 and 0 not in indices  # 0: the job's owner
    with pytest.raises(ValueError, match="dev accounts"):
        Cast.of(ANVIL_ACCOUNT_COUNT, 8)
    with pytest.raises(ValueError, match="--verifiers at least 5"):
        Cast.of(3, 4)
