"""Human review of a Report: decisions per claim, the history of checks, and exports.

Sits above chains/: it imports chains.models and chains.render, never the reverse.
"""
