"""Deterministic workflow code: ChannelWorkflow, ReelWorkflow and their contracts."""
