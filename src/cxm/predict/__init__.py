"""Predictive models on the profile: CLV, churn risk with reasons, value segments, win-back."""
