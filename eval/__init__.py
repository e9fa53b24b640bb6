"""Dataset readers and metrics for the three evaluation jobs."""
