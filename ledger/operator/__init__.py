"""The operator: order intake and proving (engine), its home folder, the round over the
validators, the one propose → round → reconcile loop, and the demo market.
"""

__all__: list = []
