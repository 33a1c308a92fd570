"""The use cases: plain classes with explicit dependencies, one transaction per use case.

Services never import Qt, never render HTML and never talk HTTP; front doors (the GUI
and the link server) translate input, call a service and show what it returns.
"""
