"""Journey analytics: stages, funnels, paths, cohorts, continuity, journey map, blueprint."""
