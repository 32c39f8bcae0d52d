"""Settings per environment: base, local (runserver), test and production."""
