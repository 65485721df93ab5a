"""Voice of the customer: surveys, distribution and triggers, responses, closed-loop cases."""
