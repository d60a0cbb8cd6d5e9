"""SQLAlchemy persistence: engine, tables, repositories and the unit of work."""
