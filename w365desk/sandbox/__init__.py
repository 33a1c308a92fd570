"""The simulated outside world, shipped as a product feature: the offline sandbox.

``authorizenet/`` is a fake Authorize.Net (the XML API, Accept.js, settlement, faults);
the local mail catcher joins it here. Nothing in this package imports the rest of
w365desk, so it could become a distribution of its own, as stripe-mock and moto are.
"""
