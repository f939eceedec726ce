"""Models of sonar_ui."""
