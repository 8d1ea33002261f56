"""batchcount: size sales audiences in bulk with Generect's lead-count API."""

__version__ = "0.1.0"
