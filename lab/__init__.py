"""The laboratory: tools that exercise the product without being part of it.

The outage simulator, the backtest driver (replaying a reports CSV through the real
counting and detection code on a simulated clock), the evaluation against ground
truth, the reference rule it is compared with, the fast Django-free harness, and
the demo (`lab/demo/`). Nothing in the product imports from here; `manage.py
simulate`, `manage.py backtest` and `manage.py demo` are this app's commands.
"""
