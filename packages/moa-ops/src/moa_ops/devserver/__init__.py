"""``runserver`` on daphne, with daphne imported only when ``runserver`` runs.

Put ``"moa_ops.devserver"`` first in ``INSTALLED_APPS`` where Channels' documentation
puts ``"daphne"``: ``runserver`` then serves HTTP and WebSockets through
``ASGI_APPLICATION``, as production does. ``"daphne"`` in ``INSTALLED_APPS`` imports
Twisted and OpenSSL whenever Django starts, in every management command and every
production worker; this app defers that to ``runserver``.
"""
