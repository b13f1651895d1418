"""The operator: order intake and proving (engine), its home folder, the one propose → round → reconcile loop, the demo market."""

__all__: list = []
