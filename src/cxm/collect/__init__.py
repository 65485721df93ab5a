"""Collection: Segment-spec validation, touchpoint and traffic channels, durable ingest.

Public modules: ``sources`` (write keys), ``messages`` (normalise one message),
``ingest`` (the collector with group commit), ``importers`` (bulk files),
``traffic`` (GA4 channel grouping), ``sessions`` (sessionisation).
"""
