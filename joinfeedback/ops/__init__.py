"""Operations: configuration-driven locks, schedules, status, logging and progress for the CLI."""
