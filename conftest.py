"""Root pytest configuration: the Rasa fixtures (one real model per run) for every test module."""

pytest_plugins = ["tests.rasa_support"]
