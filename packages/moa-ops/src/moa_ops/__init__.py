"""Health probes, drain and deploy checks for Django in production."""
