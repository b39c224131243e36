"""Root pytest configuration: the Rasa fixtures (one real model per run) and the Chromium fixture
for every test module."""

pytest_plugins = ["tests.rasa_support", "tests.browser_support"]
