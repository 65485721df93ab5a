"""The CX KPI catalogue: every KPI formula defined once, documented and sliceable."""
