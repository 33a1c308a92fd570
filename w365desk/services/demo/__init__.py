"""Realistic demo data for training and trying the app (``w365desk demo``)."""

from w365desk.services.demo.seeding import DemoDataRefusedError, DemoSeeder, seed_demo_data

__all__ = ["DemoDataRefusedError", "DemoSeeder", "seed_demo_data"]
