"""A validator node: its home folder and answers (service), the HTTP server, the client
other parties use, catch-up, and the test-only faulty nodes.
"""

__all__: list = []
