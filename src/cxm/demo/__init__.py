"""Demo data: a believable multi-channel retailer, generated and loaded like real data."""
