"""What the mock is told: Config, the declared settings, profiles."""
