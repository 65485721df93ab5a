"""Recommendations: personalised (ALS), related, trending and combined."""
