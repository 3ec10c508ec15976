"""Settings for the whole suite."""

from hypothesis import settings

# Hypothesis' per-example deadline is a timed assertion: on a loaded 2-core CI machine it fails correct code.
# Performance is measured in bench/, never asserted in tests.
settings.register_profile("suite", deadline=None)
settings.load_profile("suite")
