"""Commands for running the product on one machine against real Gmail: `connect` and `serve`."""
