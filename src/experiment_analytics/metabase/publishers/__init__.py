"""One publisher per kind of Metabase object, over a small shared base (`base.py`); the
orchestrator (`experiment_analytics.metabase.orchestrator`) only runs them in order."""
