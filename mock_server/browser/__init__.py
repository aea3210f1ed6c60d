"""The files a browser loads from the sandbox (no build step, no CDN): the API docs page
around Swagger UI (``docs.html``, ``docs.js``; Swagger UI's own files come from the
``flask-swagger-ui`` package) and the dashboard (``dashboard.html``, ``dashboard.css``,
``dashboard.js``). Served by :mod:`mock_server.pages`."""
