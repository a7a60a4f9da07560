"""Valuation: compensation schedules, reference data, the engine (pure functions) and quotes."""
