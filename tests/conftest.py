"""The test suite runs the engine with its invariant checks after every event (trading sessions
included), not only at the yearly steps as production runs do; subprocesses inherit it."""

import os

from carbonsim.sim.accounts import CHECK_ENV

os.environ[CHECK_ENV] = "1"
