"""How hard property tests try: a Hypothesis profile chosen by PERCEPTION_DEEP.

`make test` (and CI) runs the quick profile, a quarter of each test's examples;
`make test-deep` runs four times each test's examples, with the slow simulations.
"""

import os

from hypothesis import settings

DEEP = os.getenv("PERCEPTION_DEEP") == "1"
settings.register_profile("quick", deadline=None, print_blob=True)
settings.register_profile("deep", deadline=None, print_blob=True)
settings.load_profile("deep" if DEEP else "quick")


def examples(wanted: int) -> int:
    """The number of examples to try for a test written for ``wanted`` examples."""
    return max(10, round(wanted * (4 if DEEP else 0.25)))
