"""The JSON report: a versioned contract with the people who read tickets."""

from netcheck.report.build import SCHEMA_VERSION, build_report, load_schema

__all__ = ["SCHEMA_VERSION", "build_report", "load_schema"]
