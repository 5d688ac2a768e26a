"""The application layer the commands share: configuration and the wiring of one run."""
