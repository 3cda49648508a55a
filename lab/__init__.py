"""The laboratory: tools that exercise the product without being part of it.

The outage simulator, the backtest driver (replaying a reports CSV through the real
counting and detection code on a simulated clock), the evaluation against ground
truth, the reference rule it is compared with, and the fast Django-free harness.
Nothing in the product imports from here; `manage.py simulate` and `manage.py
backtest` are this app's commands.
"""
