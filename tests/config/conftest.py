"""Hypothesis keeps its files in a temporary folder, never in the repository."""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile

from hypothesis.configuration import set_hypothesis_home_dir

# Set at import: Hypothesis's pytest plugin writes its cache while pytest collects the tests.
_home = tempfile.mkdtemp(prefix="mailgw-hypothesis-")
set_hypothesis_home_dir(_home)
atexit.register(functools.partial(shutil.rmtree, _home, ignore_errors=True))
