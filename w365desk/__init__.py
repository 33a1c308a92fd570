"""w365desk: a desktop payment desk for resellers on Authorize.Net."""

__version__ = "0.1.0"
