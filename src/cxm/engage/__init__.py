"""Real-time segments and triggered journeys: outbox, caps, quiet hours, holdouts."""
