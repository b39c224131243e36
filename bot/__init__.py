"""物业 intake assistant: NLU components, tickets, politeness, handoff and tools."""

__version__ = "0.1.0"
