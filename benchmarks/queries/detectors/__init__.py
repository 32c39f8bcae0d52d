"""One settings module per detector of ``bench_detectors.py``, each on ``demo_settings``."""
