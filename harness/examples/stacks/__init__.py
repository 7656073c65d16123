"""Example integrations on HTTP stacks other than httpx, one correct and one buggy per stack.

Under the harness their Shopify traffic reaches the served fake at socket level (the fake over
loopback TLS, the test CA trusted for those connections only); nothing else leaves the process.
The shared lifecycle of the sync ones is in :mod:`harness.examples.stacks._sync_rest`; each
module adds its stack's ``send`` (and, in the buggy ones, the bug).
"""
