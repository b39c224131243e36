"""Handoff to human agents: the queue and the conversation status model."""
