"""Hypothesis: random examples on a developer's machine, a fixed sequence under CI, so a
landing never depends on which examples were drawn (a failure found locally is fixed, and
then stays covered by the property)."""

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
