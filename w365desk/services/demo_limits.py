"""How much demo data one run may add: apart from the seeding itself, so the command line
can say it in ``w365desk demo --help`` without importing the database layer."""

MAX_DEMO_ACCOUNTS = 10_000
