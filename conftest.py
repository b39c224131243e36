"""Root pytest configuration: the calendar the tests run on, the Rasa fixtures (one real model per
run) and the Chromium fixture for every test module."""

import os
from datetime import datetime, timezone

# Every process of a test run — this one and the Rasa, action and gateway servers it starts —
# reads the same shifted clock (bot.clock, WUYE_CLOCK_OFFSET): the run happens on 15 June 2026
# from 10:00 Beijing time, whatever the real date. Nothing in the suite may depend on the day.
TEST_DAY_START = datetime(2026, 6, 15, 2, 0, tzinfo=timezone.utc)
os.environ["WUYE_CLOCK_OFFSET"] = str((TEST_DAY_START - datetime.now(timezone.utc)).total_seconds())

pytest_plugins = ["tests.rasa_support", "tests.browser_support"]
